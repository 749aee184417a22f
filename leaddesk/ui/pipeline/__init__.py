"""Screens for the pipeline: the board (model, delegate, view, commands), deal dialogs, lost reasons."""
