"""The capture commands: ``capture`` (read business-card photos and QR codes on this machine,
print what was read, optionally save each as a lead of an event), ``import-vcf`` and
``export-vcf``.

``capture IMAGE... --json`` prints one JSON object per image, one per line (JSON Lines), in
the order given: the card's fields (``CardFields.to_json``) plus ``file``, or ``{"file":
..., "error": ...}`` for a file that is not a readable picture; a bad file never stops the
batch. The exit status is 0 when every image was read (and, with ``--save``, saved or
reported as a duplicate), 1 when some were not, 2 for a usage or database error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from leaddesk.cli._console import _say
from leaddesk.cli._database_commands import _open


def add_parsers(sub) -> None:
    """The ``capture``, ``import-vcf`` and ``export-vcf`` sub-commands."""
    p = sub.add_parser("capture", help="read business cards (photos, QR codes) on this machine, offline; "
                       "with --save, add each as a lead of an event")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="card photos or scans (JPEG, PNG, ...)")
    p.add_argument("--json", action="store_true", help="one JSON object per image, one per line")
    p.add_argument("--region", metavar="CC", help="country for phone numbers printed without +code "
                   "(ISO code such as DE; default: the card's own hints, then the event's country)")
    p.add_argument("--save", action="store_true", help="also create each card's contact and lead")
    p.add_argument("--event", metavar="E", help="the event (campaign) name or id the leads come from")
    p.add_argument("--allow-duplicate", action="store_true",
                   help="with --save: save a card even when its e-mail or phone is already a contact's")
    p = sub.add_parser("import-vcf", help="add the contacts of a vCard (.vcf) file as leads")
    p.add_argument("file", metavar="FILE", help="the .vcf file (vCard 2.1, 3.0 or 4.0; several cards)")
    p.add_argument("--event", metavar="E", help="the event (campaign) name or id the leads come from")
    p.add_argument("--on-duplicate", choices=["skip", "update", "create"], default="skip",
                   help="a card whose e-mail or phone is already a contact's: skip it (default), update that "
                   "contact (an undoable merge) or create a new contact anyway")
    p = sub.add_parser("export-vcf", help="write contacts as a vCard 3.0 (.vcf) file")
    p.add_argument("--out", metavar="FILE", help="the .vcf file to write (default: standard output)")
    p.add_argument("--owner", metavar="EMAIL", help="only the contacts this user owns")


def _event_id(db, name: str | None):
    if not name:
        return None
    from leaddesk.services.capture import events

    return events.find_event(db, name).id


def _save(db, read, event_id, allow_duplicate: bool, out: dict) -> bool:
    from leaddesk.errors import DuplicateContact, LeadDeskError
    from leaddesk.services.capture import capture

    try:
        saved = capture.save_capture(db, read.fields, event_id=event_id, image_jpeg=read.stored_jpeg,
                                     fields_read=read.fields, allow_duplicate=allow_duplicate)
    except DuplicateContact as exc:
        out["saved"] = False
        out["duplicate"] = {"message": str(exc), "contact_ids": [str(i) for i in exc.existing_ids]}
        return True
    except LeadDeskError as exc:
        out["saved"] = False
        out["save_error"] = str(exc)
        return False
    out.update(saved=True, contact_id=str(saved.contact_id), account_id=str(saved.account_id)
               if saved.account_id else None, card_id=str(saved.card_id))
    return True


def _print_text(out: dict) -> None:
    if "error" in out:
        print(f"{out['file']}: {out['error']}")
        return
    name = " ".join(p for p in (out.get("given_name"), out.get("family_name")) if p) or "(no name)"
    print(f"{out['file']}: {name} [{out['source']}]")
    for label, key in (("Title", "title"), ("Company", "company"), ("Website", "website"), ("Address", "address")):
        if out.get(key):
            print(f"  {label}: {out[key]}")
    for email in out.get("emails", ()):
        print(f"  E-mail: {email}")
    for phone in out.get("phones", ()):
        print(f"  Phone ({phone['type']}): {phone['number']}{'' if phone.get('valid', True) else '  (check it)'}")
    if out.get("saved"):
        print(f"  Saved as contact {out['contact_id']}")
    elif "duplicate" in out:
        print(f"  Not saved: {out['duplicate']['message']}")
    elif "save_error" in out:
        print(f"  Not saved: {out['save_error']}")


def cmd_capture(args) -> int:
    from leaddesk.capture import reader
    from leaddesk.capture.fields import CaptureError
    from leaddesk.errors import ValidationError
    from leaddesk.services import validation as v

    region = v.country(args.region, field="region") if args.region else None
    if args.event and not args.save:
        raise ValidationError("--event says which event leads come from: use it with --save.", field="event")
    db = event_id = None
    if args.save:  # an unknown event is refused before any image is read
        db, _ = _open(args)
        event_id = _event_id(db, args.event)
        if region is None and event_id is not None:
            from leaddesk.services.capture import events

            region = events.default_region_of_event(db, event_id)
    failed = 0
    try:
        for path in args.images:
            try:
                read = reader.read_card(path, name=Path(path).name, default_region=region)
            except CaptureError as exc:
                out = {"file": path, "error": str(exc)}
                failed += 1
            except OSError as exc:
                out = {"file": path, "error": f"Cannot read {path}: {exc.strerror or exc}."}
                failed += 1
            else:
                out = {"file": path, **read.fields.to_json(), "rotation": read.rotation,
                       "timings": {k: round(t, 3) for k, t in read.timings.items()}}
                if db is not None and not _save(db, read, event_id, args.allow_duplicate, out):
                    failed += 1
            if args.json:
                print(json.dumps(out, ensure_ascii=False), flush=True)
            else:
                _print_text(out)
    finally:
        if db is not None:
            db.dispose()
    if failed:
        _say(f"leaddesk: {failed} of {len(args.images)} image(s) could not be read or saved.")
    return 1 if failed else 0


def cmd_import_vcf(args) -> int:
    from leaddesk.errors import ValidationError
    from leaddesk.services.capture import vcards

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise ValidationError(f"Cannot read {args.file}: {exc.strerror or exc}.", field="file") from exc
    db, _ = _open(args)
    try:
        event_id = _event_id(db, args.event)
        result = vcards.import_vcf(db, data, event_id=event_id, on_duplicate=args.on_duplicate,
                                   name=Path(args.file).name)
    finally:
        db.dispose()
    for line in result.errors:
        _say(f"leaddesk: {line}")
    print(f"Imported {args.file}: {result.created} created, {result.updated} updated, {result.skipped} skipped "
          f"as duplicates, {len(result.errors)} problem(s).")
    return 0


def cmd_export_vcf(args) -> int:
    from leaddesk.services.capture import vcards
    from leaddesk.services.followups import agenda

    db, _ = _open(args, read_only=True)
    try:
        owner = agenda.resolve_owner(db, args.owner) if args.owner else None
        text = vcards.export_vcf(db, owner_id=owner)
    finally:
        db.dispose()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8", newline="")
        _say(f"Wrote {text.count('BEGIN:VCARD')} contacts to {args.out}.")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0
