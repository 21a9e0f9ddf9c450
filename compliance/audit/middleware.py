import uuid

from .context import ActorContext, reset_actor, set_actor


def client_ip(request) -> str | None:
    # Behind the production proxy REMOTE_ADDR is the proxy; trust X-Forwarded-For only when
    # SECURE_PROXY_SSL_HEADER says a proxy is in front (see settings).
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives each request an id (echoed as X-Request-ID) and the IP the audit trail records."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get("HTTP_X_REQUEST_ID", "")[:64] or uuid.uuid4().hex
        request.request_id = request_id
        token = set_actor(ActorContext(request_id=request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            reset_actor(token)
        response["X-Request-ID"] = request_id
        return response
