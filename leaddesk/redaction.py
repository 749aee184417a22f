"""Passwords hidden from every text LeadDesk shows or logs. No Qt, no database.

:func:`redact` hides a password wherever it appears in a text (a URL, libpq's conninfo,
SQL's ``PASSWORD '...'``, or any secret the caller knows); :func:`describe_url` is a
database URL fit for a message; :func:`install_log_redaction` runs every log record
through :func:`redact`. Pure text rules, apart from db.py's engines and sessions: the CLI,
the team sync and the error messages use them without opening anything.
"""

from __future__ import annotations

import re

from sqlalchemy import make_url

#: ``scheme://user:PASSWORD@`` in any text (a URL too malformed for make_url included).
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/@:]*:)(?P<pw>[^@\s]+)(?P<at>@)")
#: libpq's ``password=...`` (a conninfo string, quoted or not).
_CONNINFO_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|[^\s'\"&)]+)", re.I)
#: SQL's ``PASSWORD '...'`` (CREATE/ALTER ROLE), as an engine's echo would log it.
_SQL_PASSWORD = re.compile(r"(?P<head>\bPASSWORD\s+)(?P<pw>'(?:[^']|'')*')", re.I)
HIDDEN = "***"


def url_password(url: str | None) -> str | None:
    """The password inside a URL, found even when the URL cannot be parsed (then redact
    it as a literal string too: a malformed URL may put it anywhere in a message)."""
    if not url:
        return None
    try:
        parsed = make_url(url)
        password = parsed.password or parsed.query.get("password")  # ?password=... is libpq's too
        if password:
            return str(password if isinstance(password, str) else password[0])
    except Exception:  # noqa: BLE001 - malformed: fall back to the patterns
        pass
    found = _URL_PASSWORD.search(url) or _CONNINFO_PASSWORD.search(url)
    return found.group("pw").strip("'") if found else None


def redact(text: str, secrets: tuple[str | None, ...] | list[str | None] = ()) -> str:
    """``text`` with every password hidden: in URLs, in libpq conninfo, and any of
    ``secrets`` (passwords known to the caller) wherever it appears."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + HIDDEN + m.group("at"), str(text))
    text = _CONNINFO_PASSWORD.sub(lambda m: m.group("head") + HIDDEN, text)
    text = _SQL_PASSWORD.sub(lambda m: m.group("head") + "'" + HIDDEN + "'", text)
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
        # a URL spells it percent-encoded
        from urllib.parse import quote

        encoded = quote(secret, safe="")
        if encoded != secret:
            text = text.replace(encoded, HIDDEN)
    return text


def install_log_redaction() -> None:
    """Every log record, whoever logs it and whatever handler writes it, has its message
    and its traceback text redacted (:func:`redact`). Idempotent."""
    import logging
    import traceback

    current = logging.getLogRecordFactory()
    if getattr(current, "leaddesk_redacts", False):
        return

    def factory(*args, **kwargs):
        record = current(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logging's to report
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redact(text)
        return record

    factory.leaddesk_redacts = True
    logging.setLogRecordFactory(factory)


def describe_url(url: str) -> str:
    """The URL without its password, for messages (also when it cannot be parsed)."""
    try:
        return redact(make_url(url).render_as_string(hide_password=True))  # redact: ?password=...
    except Exception:  # noqa: BLE001 - ArgumentError, ValueError (a port that is no number)
        return redact(url, [url_password(url)])
