"""Tests of the card-capture engines (leaddesk/capture/): OCR rules, QR, vCard; no database, no Qt."""
