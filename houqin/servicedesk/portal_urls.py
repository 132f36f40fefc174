"""The requester portal, /servicedesk/portal/… (namespace "servicedesk", names portal_*), and the
photo view that serves every work order photo within the order's access scope."""

from django.urls import path

from houqin.servicedesk import portal_views

urlpatterns = [
    path("portal/", portal_views.requests_list, name="portal_requests"),
    path("portal/report/", portal_views.report, name="portal_report"),
    path("portal/requests/<int:pk>/", portal_views.request_detail, name="portal_request"),
    path("portal/requests/<int:pk>/<slug:action>/", portal_views.request_action, name="portal_action"),
    path("portal/t/<str:token>/", portal_views.track, name="portal_track"),
    path("photos/<int:pk>/", portal_views.photo, name="photo"),
]
