"""Alembic migrations, shipped inside the package (``leaddesk db upgrade``)."""
