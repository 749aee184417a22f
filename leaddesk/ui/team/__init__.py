"""Screens for the team: users, joining and syncing, the conflict inbox, trash and history."""
