"""Follow-ups in the UI: the "Log activity" dialog (Ctrl+L from the board, the contacts and
search) and the activity timeline shown on contacts, opportunities and accounts."""
