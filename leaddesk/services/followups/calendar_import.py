"""Meeting invitations (``.ics`` from Outlook, Google Calendar, Apple ...) as meeting activities.

Each ``VEVENT`` of the file becomes a meeting owned by the importing rep: its SUMMARY is the
subject, DESCRIPTION (with LOCATION and the attendee list) the body, DTSTART the due time and
DTEND or DURATION the length. Times with a ``TZID`` are read with the file's ``VTIMEZONE``
or the zone database (the icalendar library also knows Outlook's Windows zone names such as
``W. Europe Standard Time``, also without a VTIMEZONE); floating times, times in a zone
nobody knows, and all-day events are read in the rep's zone (an all-day event starts at
local midnight and lasts whole days).

The meeting is linked to the first attendee, then the organizer, whose e-mail (normalised:
``MAILTO:`` dropped, case-folded, IDNA domain) is a contact's; its account comes with it.
An invitation in which nobody is a known contact is refused, since an activity must be
linked to someone (add the contact first, or name one with ``contact_id``).

**Re-import updates, never duplicates**: the activity table has no column for a calendar
UID, so the activity's id is derived with ``uuid5`` (namespace :data:`UID_NAMESPACE`) from
the importing rep's id and the invitation's UID; importing the same invitation again (an
update from the organizer, a higher SEQUENCE) finds that row and changes it. Two reps
invited to the same meeting each get their own activity (the UID is the same for every
attendee), and the same rep importing it on two laptops makes the same id, which sync
merges as one row. A cancellation (``METHOD:CANCEL`` or ``STATUS:CANCELLED``) deletes the
meeting; a meeting already done is left as it is. Our own exports (UIDs
``<activity id>@leaddesk``) map back to the rep's own activity (its kind stays: a call
exported by us and imported back remains a call). The organizer's SEQUENCE is not stored
(no column), so an older update imported after a newer one wins.

A file that is not UTF-8, not iCalendar, has no VEVENT, or an event without DTSTART raises
:class:`ValidationError` naming the problem; nothing is written (one transaction for all).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from icalendar import Calendar
from sqlalchemy import select

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Activity, Contact, ContactEmail
from leaddesk.models.enums import ActivityKind
from leaddesk.services import validation as v
from leaddesk.services.followups.agenda import local_midnight, zone
from leaddesk.services.followups.calendar_export import UID_DOMAIN
from leaddesk.services.records import as_uuid, get_row

UTC = dt.timezone.utc
#: uuid5 namespace of activity ids derived from calendar UIDs (fixed forever: changing it
#: would duplicate every re-imported invitation).
UID_NAMESPACE = uuid.UUID("4f1c6a0e-2b7d-5e0a-9c3f-6d1e8a7b2c40")
MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class ImportedMeeting:
    activity_id: uuid.UUID
    uid: str
    subject: str
    due_at: dt.datetime
    duration_minutes: int
    contact_id: uuid.UUID | None
    action: str  #: "created", "updated", "cancelled", "unchanged" (already done)


def activity_id_for_uid(uid: str, owner_id: uuid.UUID | None) -> uuid.UUID:
    """The id of ``owner_id``'s activity for an invitation's UID."""
    return uuid.uuid5(UID_NAMESPACE, f"{owner_id}|{uid.strip()}")


def _own_activity_id(uid: str) -> uuid.UUID | None:
    """The activity id in one of our own UIDs (``<id>@leaddesk``), else None."""
    head, _, domain = uid.strip().rpartition("@")
    if domain != UID_DOMAIN:
        return None
    try:
        return uuid.UUID(head)
    except ValueError:
        return None


def _parse(data: bytes | str) -> Calendar:
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise ValidationError("The calendar file is larger than 5 MB: that is not an invitation.", field="file")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"The calendar file is not valid UTF-8 text (byte {exc.start} cannot be read); "
                                  "export it again from the calendar app.", field="file") from exc
    if "BEGIN:VCALENDAR" not in data.upper():
        raise ValidationError("This is not an iCalendar file (no BEGIN:VCALENDAR).", field="file")
    try:
        cal = Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ValidationError(f"The calendar file cannot be read: {exc}", field="file") from exc
    if isinstance(cal, list):
        cal = cal[0]
    return cal


def _email(value) -> str | None:
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if "@" not in text:
        return None
    try:
        return v.normalize_email(text)[1]
    except ValidationError:
        return None


def _text(comp, name: str) -> str:
    value = comp.get(name)
    return str(value).strip() if value is not None else ""


def _times(event, tz: dt.tzinfo, index: int) -> tuple[dt.datetime, int]:
    if event.get("dtstart") is None:
        raise ValidationError(f"Event {index} ('{_text(event, 'summary') or 'no title'}') has no start (DTSTART).",
                              field="dtstart")
    try:
        start = event.decoded("dtstart")
        end = event.decoded("dtend") if event.get("dtend") is not None else None
        length = event.decoded("duration") if event.get("duration") is not None else None
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"Event {index} has a start or end that cannot be read: {exc}", field="dtstart") from exc

    def instant(value) -> dt.datetime:
        if not isinstance(value, dt.date):
            raise ValidationError(f"Event {index} has a start or end that is not a date or time ('{value}').",
                                  field="dtstart")
        if isinstance(value, dt.datetime):
            return (value if value.tzinfo is not None else value.replace(tzinfo=tz)).astimezone(UTC)
        return local_midnight(value, tz)  # an all-day date

    begin = instant(start)
    if end is not None:
        finish = instant(end)
    elif isinstance(length, dt.timedelta):
        finish = begin + length if isinstance(start, dt.datetime) else local_midnight(start + length, tz)
    else:
        finish = begin + (dt.timedelta(days=1) if not isinstance(start, dt.datetime) else dt.timedelta(hours=1))
    minutes = int((finish - begin).total_seconds() // 60)
    if minutes < 0:
        raise ValidationError(f"Event {index} ends before it starts.", field="dtend")
    return begin, minutes


def _match_contact(s, event) -> tuple[uuid.UUID | None, list[str]]:
    attendees = event.get("attendee")
    people = list(attendees) if isinstance(attendees, list) else [attendees]
    people.append(event.get("organizer"))
    shown = []
    for person in people:
        if person is None:
            continue
        name = getattr(person, "params", {}).get("CN")
        address = str(person)[7:] if str(person).lower().startswith("mailto:") else str(person)
        shown.append(f"{name} <{address}>" if name else address)
    for person in people:
        key = _email(person)
        if key is None:
            continue
        found = s.scalar(select(ContactEmail.contact_id).join(Contact, Contact.id == ContactEmail.contact_id)
                         .where(ContactEmail.address_normalized == key, ContactEmail.deleted.is_(False),
                                Contact.deleted.is_(False)).order_by(ContactEmail.created_at).limit(1))
        if found is not None:
            return found, shown
    return None, shown


def _body(event, shown: list[str]) -> str | None:
    parts = [_text(event, "description")]
    if _text(event, "location"):
        parts.append(f"Location: {_text(event, 'location')}")
    if shown:
        parts.append("Attendees: " + ", ".join(shown))
    text = "\n\n".join(p for p in parts if p).replace("\x00", "")
    return text[:20000] or None


def import_invitation(db: Database, data: bytes | str, *, owner_id=None, tz: dt.tzinfo | str | None = None,
                      contact_id=None) -> list[ImportedMeeting]:
    """Create or update one meeting per VEVENT of ``data`` (see the module's notes), owned
    by ``owner_id`` (default: this installation's user); ``tz`` reads floating and all-day
    times (default: this machine's zone)."""
    tzinfo = tz if isinstance(tz, dt.tzinfo) else zone(tz)
    cal = _parse(data)
    if cal.name != "VCALENDAR":
        raise ValidationError("This is not an iCalendar file (it does not start with a VCALENDAR).", field="file")
    events = list(cal.walk("VEVENT"))
    if not events:
        raise ValidationError("The calendar file holds no event (VEVENT): nothing to import.", field="file")
    cancel_all = _text(cal, "method").upper() == "CANCEL"
    parsed = []
    for index, event in enumerate(events, start=1):
        begin, minutes = _times(event, tzinfo, index)
        uid = _text(event, "uid") or f"{begin.isoformat()}|{_text(event, 'summary')}"
        subject = v.clean_text(_text(event, "summary").replace("\x00", "") or "Meeting", field="summary",
                               max_len=300, required=True)
        cancelled = cancel_all or _text(event, "status").upper() == "CANCELLED"
        parsed.append((event, uid, subject, begin, minutes, cancelled))
    out = []
    with db.unit_of_work() as s:
        owner = as_uuid(owner_id, field="owner_id") if owner_id else s.info["write"].actor_id
        for event, uid, subject, begin, minutes, cancelled in parsed:
            out.append(_store(s, event, uid, subject, begin, minutes, cancelled, owner, contact_id))
        s.flush()
    return out


def _store(s, event, uid, subject, begin, minutes, cancelled, owner, contact_id) -> ImportedMeeting:
    act_id, act = activity_id_for_uid(uid, owner), None
    own = _own_activity_id(uid)
    if own is not None:
        mine = s.get(Activity, own)
        if mine is not None and mine.owner_id == owner:
            act_id, act = own, mine
    act = act or s.get(Activity, act_id)
    found, shown = _match_contact(s, event)
    contact = as_uuid(contact_id, field="contact_id") if contact_id else found

    def result(action: str, row_contact) -> ImportedMeeting:
        return ImportedMeeting(act_id, uid, subject, begin, minutes, row_contact, action)

    if act is not None and act.done_at is not None:
        return result("unchanged", act.contact_id)
    if cancelled:
        if act is not None and not act.deleted:
            act.deleted = True
            return result("cancelled", act.contact_id)
        return result("unchanged", act.contact_id if act else contact)
    if contact is None and (act is None or act.contact_id is None):
        who = ", ".join(shown) or "nobody"
        raise ValidationError(f"'{subject}': none of the people invited ({who}) is a contact; add the contact "
                              "first so the meeting can be linked to them.", field="contact_id")
    values = {"subject": subject, "body": _body(event, shown), "due_at": begin,
              "duration_minutes": minutes, "deleted": False}
    if contact is not None:
        person = get_row(s, Contact, contact)
        values.update(contact_id=person.id, account_id=person.account_id)
    if act is None:
        s.add(Activity(id=act_id, kind=ActivityKind.MEETING, owner_id=owner, **values))
        return result("created", values.get("contact_id"))
    changed = {k: val for k, val in values.items() if getattr(act, k) != val}
    for key, val in changed.items():
        setattr(act, key, val)
    return result("updated" if changed else "unchanged", act.contact_id)
