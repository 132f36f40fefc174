"""Placeholder until its owner writes it; houqin/servicedesk/urls.py includes it."""

urlpatterns = []
