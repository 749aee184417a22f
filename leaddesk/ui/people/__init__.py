"""Screens for people: contact and account lists, views and editors, search, duplicate review."""
