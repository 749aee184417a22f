"""Demo data: a realistic database made through the real services."""
