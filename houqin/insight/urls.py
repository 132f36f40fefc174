from houqin.insight import dashboard_urls, kpi_urls, screen_urls

app_name = "insight"
urlpatterns = kpi_urls.urlpatterns + dashboard_urls.urlpatterns + screen_urls.urlpatterns
