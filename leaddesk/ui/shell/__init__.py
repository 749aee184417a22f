"""The window around everything: main window, first start, help."""
