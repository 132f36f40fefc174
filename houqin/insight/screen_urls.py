"""URLs of the big screen (大屏) and of the wall displays that open it:
"insight:screen" (/insight/screen/?token=…), its live part "insight:screen_live" (polled every
30 seconds), and the displays' management pages "insight:display_list", "display_add",
"display_revoke" (pk)."""

from django.urls import path

from houqin.insight import display_views, screen_views

urlpatterns = [
    path("screen/", screen_views.screen, name="screen"),
    path("screen/live/", screen_views.screen_live, name="screen_live"),
    path("displays/", display_views.display_list, name="display_list"),
    path("displays/add/", display_views.display_add, name="display_add"),
    path("displays/<int:pk>/revoke/", display_views.display_revoke, name="display_revoke"),
]
