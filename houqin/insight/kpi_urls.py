"""URLs of the KPI pages: "kpis" (every figure of a period), "kpi_orders" (the orders behind a
figure, ?figure=<name> with the same period and filters) and "kpi_orders_export" (that list as
?format=xlsx|csv)."""

from django.urls import path

from houqin.insight import kpi_views

urlpatterns = [
    path("kpis/", kpi_views.kpis_page, name="kpis"),
    path("kpis/orders/", kpi_views.kpi_orders, name="kpi_orders"),
    path("kpis/orders/export/", kpi_views.kpi_orders_export, name="kpi_orders_export"),
]
