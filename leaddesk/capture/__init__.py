"""Business-card capture engines, on the device and with no network: card photos (OCR,
``ocr.py``) and the rules that turn text lines into fields (``extract.py``), QR codes on
cards and badges (``qr.py``), vCard and MECARD payloads and ``.vcf`` files (``vcard.py``);
all return the plain dataclasses of ``fields.py``. No Qt, no database: the services
(``services/capture/``) save what these read."""
