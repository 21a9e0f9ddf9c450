"""API of duties, under /api/v1/duties/."""

from django.urls import include, path

from . import lists, posts

urlpatterns = [path("duties/", include([*lists.urlpatterns, *posts.urlpatterns]))]
