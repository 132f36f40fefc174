"""URLs of the dashboard pages."""

urlpatterns = []
