"""The desk's pages under /servicedesk/ (namespace "servicedesk"): the order list and page
("order_list", "order_detail", "order_action", "order_export"), the agent's console ("desk" and
its htmx parts "desk_*", "category_pick"), the dispatch board ("board", "board_*") and the
call-back workbench ("callbacks", "callback_record"). Included by houqin/servicedesk/urls.py."""

from django.urls import path

from houqin.core.transfer_views import ExportView
from houqin.servicedesk import desk_views

urlpatterns = [
    path("orders/", desk_views.order_list, name="order_list"),
    path("orders/export/", ExportView.as_view(transfer=desk_views.ORDER_FILES), name="order_export"),
    path("orders/<int:pk>/", desk_views.order_detail, name="order_detail"),
    path("orders/<int:pk>/<slug:action>/", desk_views.order_action, name="order_action"),
    path("desk/", desk_views.desk, name="desk"),
    path("desk/lookup/", desk_views.desk_lookup, name="desk_lookup"),
    path("desk/assist/", desk_views.desk_assist, name="desk_assist"),
    path("desk/calls/", desk_views.desk_calls, name="desk_calls"),
    path("desk/calls/<int:pk>/take/", desk_views.desk_take_call, name="desk_take_call"),
    path("desk/queue/", desk_views.desk_queue, name="desk_queue"),
    path("desk/queue/<int:pk>/accept/", desk_views.desk_queue_accept, name="desk_queue_accept"),
    path("desk/categories/", desk_views.category_pick, name="category_pick"),
    path("board/", desk_views.board, name="board"),
    path("board/orders/<int:pk>/assign/", desk_views.board_assign, name="board_assign"),
    path("board/orders/<int:pk>/transfer/", desk_views.board_transfer, name="board_transfer"),
    path("board/people/<int:pk>/duty/", desk_views.board_duty, name="board_duty"),
    path("callbacks/", desk_views.callbacks, name="callbacks"),
    path("callbacks/<int:pk>/", desk_views.callback_record, name="callback_record"),
]
