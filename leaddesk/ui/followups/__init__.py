"""Follow-up screens: reminders that fire through the system tray or an in-window banner
(``reminders.py``), with snooze and open-the-record."""
