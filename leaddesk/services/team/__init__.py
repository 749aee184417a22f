"""The team: users and roles, the shared server (admin, join, sync), conflicts, trash and history."""
