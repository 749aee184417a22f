"""Business-card capture adapters (OCR, QR vCard, .vcf) returning plain dataclasses; no Qt."""
