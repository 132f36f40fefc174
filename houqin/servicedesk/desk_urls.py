"""The desk's pages under /servicedesk/ (namespace "servicedesk"): the order list and page
("order_list", "order_detail", "order_action", "order_export"), the agent's console ("desk" and
its htmx parts "desk_*", "category_pick"), the dispatch board ("board", "board_*") and the
call-back workbench ("callbacks", "callback_record"). Included by houqin/servicedesk/urls.py."""

from django.urls import path

from houqin.core.transfer_views import ExportView
from houqin.servicedesk.desk import board, callbacks, console, order_list, order_page

urlpatterns = [
    path("orders/", order_list.order_list, name="order_list"),
    path("orders/export/", ExportView.as_view(transfer=order_list.ORDER_FILES), name="order_export"),
    path("orders/<int:pk>/", order_page.order_detail, name="order_detail"),
    path("orders/<int:pk>/<slug:action>/", order_page.order_action, name="order_action"),
    path("desk/", console.desk, name="desk"),
    path("desk/lookup/", console.desk_lookup, name="desk_lookup"),
    path("desk/assist/", console.desk_assist, name="desk_assist"),
    path("desk/calls/", console.desk_calls, name="desk_calls"),
    path("desk/calls/<int:pk>/take/", console.desk_take_call, name="desk_take_call"),
    path("desk/queue/", console.desk_queue, name="desk_queue"),
    path("desk/queue/<int:pk>/accept/", console.desk_queue_accept, name="desk_queue_accept"),
    path("desk/categories/", console.category_pick, name="category_pick"),
    path("board/", board.board, name="board"),
    path("board/orders/<int:pk>/assign/", board.board_assign, name="board_assign"),
    path("board/orders/<int:pk>/transfer/", board.board_transfer, name="board_transfer"),
    path("board/people/<int:pk>/duty/", board.board_duty, name="board_duty"),
    path("callbacks/", callbacks.callbacks, name="callbacks"),
    path("callbacks/<int:pk>/", callbacks.callback_record, name="callback_record"),
]
