from django.urls import path

from houqin.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bell/", views.bell, name="bell"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:pk>/open/", views.open_notification, name="open"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("channels/", views.ChannelListView.as_view(), name="channelconfig_list"),
    path("channels/add/", views.ChannelEditView.as_view(), name="channelconfig_add"),
    path("channels/<int:pk>/", views.ChannelDetailView.as_view(), name="channelconfig_detail"),
    path("channels/<int:pk>/edit/", views.ChannelEditView.as_view(), name="channelconfig_edit"),
    path("channels/<int:pk>/delete/", views.ChannelDeleteView.as_view(), name="channelconfig_delete"),
    path("channels/<int:pk>/test/", views.channel_test, name="channelconfig_test"),
    path("outbox/", views.outbox_list, name="outbox_list"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
]
