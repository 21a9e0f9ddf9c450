"""Pages of duties, mounted under /duties/."""

from .views import lists, posts

app_name = "duties"

urlpatterns = [*lists.urlpatterns, *posts.urlpatterns]
