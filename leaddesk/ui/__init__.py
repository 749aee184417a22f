"""The Qt desktop app. Only this package (and ``leaddesk.__main__``) imports PySide6."""
