"""Sidebar entries of the master-data pages."""
