"""URLs of the kpi pages."""

urlpatterns = []
