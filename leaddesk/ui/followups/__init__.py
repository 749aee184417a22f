"""Follow-up screens: My day (overdue, due today, upcoming), with one-key done and reschedule."""
