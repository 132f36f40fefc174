"""URLs of the screen pages."""

urlpatterns = []
