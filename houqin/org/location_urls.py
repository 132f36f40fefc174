"""URLs of the location tree, the pickers and the label sheets. Included into the "org"
namespace by houqin/org/urls.py (path("", include("houqin.org.location_urls"))), before any
generic "locations/<...>/" pattern."""

from django.urls import path

from houqin.org import location_views

urlpatterns = [
    path("locations/tree/", location_views.location_tree, name="location_tree"),
    path("locations/tree/<int:pk>/children/", location_views.location_children, name="location_children"),
    path("locations/<int:pk>/move/", location_views.location_move, name="location_move"),
    path("locations/pick/", location_views.location_pick, name="location_pick"),
    path("locations/labels/", location_views.location_labels, name="location_labels"),
    path("people/pick/", location_views.person_pick, name="person_pick"),
]
