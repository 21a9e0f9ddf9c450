import re
import uuid

from .context import ActorContext, reset_actor, set_actor


def client_ip(request) -> str | None:
    # Behind the production proxy REMOTE_ADDR is the proxy; trust X-Forwarded-For only when
    # SECURE_PROXY_SSL_HEADER says a proxy is in front (see settings).
    return request.META.get("REMOTE_ADDR") or None


# Printable ASCII without spaces: a client's id ends up in the audit trail and its exports.
_NOT_ID = re.compile(r"[^\x21-\x7e]")


def client_request_id(request) -> str:
    return _NOT_ID.sub("", request.META.get("HTTP_X_REQUEST_ID", ""))[:64]


class RequestContextMiddleware:
    """Gives each request an id of the server's own (echoed as X-Request-ID) and the IP the audit
    trail records. An id the client sent is kept apart (``client_request_id``, outside the hash
    chain, for matching a client's logs): a client must not choose the id that ties together the
    events of one request in the chained trail, nor make its requests look like someone else's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = uuid.uuid4().hex
        request.request_id = request_id
        token = set_actor(
            ActorContext(
                request_id=request_id, ip=client_ip(request), client_request_id=client_request_id(request)
            )
        )
        try:
            response = self.get_response(request)
        finally:
            reset_actor(token)
        response["X-Request-ID"] = request_id
        return response
