"""The e-mail and phone normaliser of the demo generator, which may run in a worker process.

Every e-mail and phone the demo writes goes through :mod:`leaddesk.services.validation`;
at large scale that is seconds of pure CPU, so a fresh interpreter does it on another core
while the accounts and contacts are written. Apart from the generator because it is about
processes and pipes, not about what the demo data holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from leaddesk.services import validation as v


def _normalize_batch(kind: str, items: list) -> list[tuple[str, str]]:
    """validation.normalize_email / normalize_phone over a batch."""
    if kind == "email":
        return [v.normalize_email(address) for address in items]
    return [v.normalize_phone(raw, region=region) for raw, region in items]


#: The worker: a fresh interpreter that imports only the validation module (not the
#: caller's ``__main__``, as multiprocessing's spawn would), reads JSON, writes JSON.
_WORKER = """
import json, sys
from leaddesk.services import validation as v
data = json.load(sys.stdin)
json.dump({"email": [v.normalize_email(a) for a in data["email"]],
           "phone": [v.normalize_phone(r, region=c) for r, c in data["phone"]]}, sys.stdout)
"""


class _Normalizer:
    """Normalises many e-mails and phones through :mod:`leaddesk.services.validation`.

    At large scale this is several seconds of pure CPU while the writer keeps one core
    busy, so a worker process does it on the other core while the accounts and contacts
    are written. Small loads, a frozen app, or a worker that fails fall back to doing it
    in-process (where a bad value raises its ValidationError as usual).
    """

    PARALLEL_MIN = 20_000

    def __init__(self, emails: list[str], phones: list[tuple[str, str]]):
        self.emails, self.phones = emails, phones
        self.proc: subprocess.Popen | None = None
        self.feeder: threading.Thread | None = None
        if len(emails) + len(phones) < self.PARALLEL_MIN or getattr(sys, "frozen", False):
            return
        payload = json.dumps({"email": emails, "phone": phones}).encode()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        except OSError:
            return
        self.feeder = threading.Thread(target=self._feed, args=(payload,), daemon=True)
        self.feeder.start()

    def _feed(self, payload: bytes) -> None:
        try:
            self.proc.stdin.write(payload)
            self.proc.stdin.close()
        except (OSError, ValueError):
            pass

    def results(self) -> tuple[list, list]:
        if self.proc is not None:
            try:
                data = json.loads(self.proc.stdout.read() or b"null")
                if self.proc.wait() == 0 and data and len(data["email"]) == len(self.emails) \
                        and len(data["phone"]) == len(self.phones):
                    return [tuple(x) for x in data["email"]], [tuple(x) for x in data["phone"]]
            except (OSError, ValueError):
                pass
            finally:
                self.close()
        return _normalize_batch("email", self.emails), _normalize_batch("phone", self.phones)

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except (OSError, ValueError):
                    pass
            self.proc = None
        if self.feeder is not None:
            self.feeder.join()
            self.feeder = None
