"""People: contacts, accounts, the lists and search over them, phone numbers, and both duplicate finders (contacts and accounts)."""
