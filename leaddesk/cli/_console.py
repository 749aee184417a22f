"""What the command line writes to its terminal: one line at a time on stderr, with every
password this run knows hidden, and the progress line the next message starts after.

Apart from the commands in :mod:`leaddesk.cli`: each command group prints through
:func:`_say` and hands the passwords it learns to :func:`_remember_secret`.
"""

from __future__ import annotations

import sys


#: Passwords this run knows (from URLs given, the environment, standard input): hidden in
#: every message it prints, even where a URL was too malformed to parse.
_SECRETS: list[str] = []


def _remember_secret(value: str | None) -> None:
    if value and value not in _SECRETS:
        _SECRETS.append(value)


#: A progress line (``\r  step: n/total``) is on stderr without its newline yet.
_progress_open = [False]


def _say(line: str) -> None:
    """Print one line to stderr, passwords hidden, whatever the terminal's encoding."""
    from leaddesk.redaction import redact

    text = redact(" ".join(line.split()), _SECRETS)
    if _progress_open[0]:
        text, _progress_open[0] = "\n" + text, False
    stream = sys.stderr
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(encoding, "backslashreplace").decode(encoding) + "\n")
    stream.flush()
