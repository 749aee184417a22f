"""Painted item delegates (no per-item widgets)."""
