"""Follow-ups: activities (calls, e-mails, meetings, tasks) and what is due."""
