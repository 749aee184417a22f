"""Widgets shared by several capabilities: form errors, the discard guard, the domain's vocabulary (stage badges), the account-name completer, refresh-when-shown."""
