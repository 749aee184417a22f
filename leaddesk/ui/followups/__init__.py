"""Follow-ups in the UI: the "Log activity" dialog (Ctrl+L from the board, the contacts and
search), the activity timeline shown on contacts, opportunities and accounts, and reminders
that fire through the system tray or an in-window banner (``reminders.py``), with snooze and
open-the-record."""
