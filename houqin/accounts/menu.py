"""Sidebar entries of account, role and audit pages."""
