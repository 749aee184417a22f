"""Follow-ups in the UI: My day (overdue, due today, upcoming; done with an outcome and the
next step by keyboard), the "Log activity" dialog (Ctrl+L from the board, the contacts and
search; a next step may repeat), the activity timeline shown on contacts, opportunities and
accounts, reminders that fire through the system tray or an in-window banner
(``reminders.py``) with snooze and open-the-record, "Apply cadence…" (``cadence_dialog.py``),
and the managers' speed-to-lead and persistence figures (``sla_figures.py``)."""
