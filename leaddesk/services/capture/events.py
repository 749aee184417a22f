"""The event a rep captures at: a campaign (trade show, conference, webinar ...) found by name
or id, the events listed with the running and upcoming ones first, and the country phone
numbers printed without "+code" are read in.

An event *is* a campaign (``services/marketing/campaigns.py`` keeps them, with dates, place
and cost); this module only adds what capture needs on top.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import NotFound
from leaddesk.models import Campaign, Contact
from leaddesk.models.enums import CampaignKind
from leaddesk.services.marketing.campaigns import get_campaign, list_campaigns, period_of
from leaddesk.services.marketing.dto import CampaignDetail
from leaddesk.services.records import as_uuid

#: Country names as people write them in a place, beyond ISO's English names and codes.
LOCAL_NAMES = {
    "deutschland": "DE", "germany": "DE", "usa": "US", "u.s.a.": "US", "united states": "US", "uk": "GB",
    "england": "GB", "scotland": "GB", "österreich": "AT", "osterreich": "AT", "schweiz": "CH", "suisse": "CH",
    "svizzera": "CH", "españa": "ES", "espana": "ES", "italia": "IT", "nederland": "NL", "holland": "NL",
    "belgique": "BE", "belgië": "BE", "polska": "PL", "česko": "CZ", "türkiye": "TR", "turkey": "TR",
    "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI", "россия": "RU", "uae": "AE",
    "dubai": "AE", "الرياض": "SA", "istanbul": "TR", "i̇stanbul": "TR",
}


class EventNotFound(NotFound):
    """No live event of that name or id; the message lists the closest names."""

    def __init__(self, wanted: str, close: list[str]):
        super().__init__("event", wanted)
        hint = f" Did you mean: {', '.join(repr(n) for n in close)}?" if close else " There are no events yet."
        self.args = (f"No event called {wanted!r} exists.{hint}",)


def find_event(db: Database, name_or_id: str) -> CampaignDetail:
    """The live campaign with this id, else with this name (case-insensitive, an exact name
    first, else the only one that starts with it); NotFound names the closest names."""
    text = (name_or_id or "").strip()
    try:
        ident = uuid.UUID(text)
    except ValueError:
        ident = None
    if ident is not None:
        return get_campaign(db, ident)
    events = list_campaigns(db)
    folded = text.casefold()
    exact = [e for e in events if e.name.casefold() == folded]
    if exact:
        return exact[0]
    starting = [e for e in events if e.name.casefold().startswith(folded)] if folded else []
    if len(starting) == 1:
        return starting[0]
    names = [e.name for e in events]
    close = [name for name, score, _ in process.extract(text, names, scorer=fuzz.WRatio, limit=3) if score >= 50]
    if len(starting) > 1:
        close = [e.name for e in starting[:5]]
    raise EventNotFound(text, close)


#: Kinds of campaign a rep meets people at: the ones offered as the current event.
EVENT_KINDS = frozenset({CampaignKind.TRADE_SHOW, CampaignKind.EVENT, CampaignKind.WEBINAR})


_RANK = {"running": 0, "upcoming": 1, "undated": 2, "past": 3}


def _order(c: CampaignDetail, today: dt.date) -> tuple:
    period = period_of(c.starts_on, c.ends_on, today)
    end = c.ends_on or c.starts_on
    when = {"running": end, "upcoming": c.starts_on}.get(period)
    number = when.toordinal() if when else (-end.toordinal() if period == "past" else 0)
    return (_RANK[period], number, c.name.casefold())


def list_events(db: Database, *, today: dt.date | None = None, keep: uuid.UUID | None = None) -> list[CampaignDetail]:
    """The live events (trade shows, conferences, webinars: :data:`EVENT_KINDS`, and the
    campaign ``keep`` of any kind, such as the current event), in the order a rep picks
    from: running ones first (soonest end first), then upcoming ones (soonest start first),
    undated ones by name, then past ones (latest end first: cards are often typed in the
    days after a show)."""
    today = today or dt.date.today()
    found = [c for c in list_campaigns(db) if c.kind in EVENT_KINDS or (keep is not None and c.id == keep)]
    return sorted(found, key=lambda c: _order(c, today))


def country_of_place(place: str | None) -> str | None:
    """ISO alpha-2 of the country a place names ("Hannover, Germany" -> "DE", "Wien,
    Österreich" -> "AT", "DE"), None when it names none (a bare city)."""
    if not place:
        return None
    import pycountry

    parts = [p.strip() for p in re.split(r"[,/;()\n]| - ", place) if p.strip()]
    for part in reversed(parts):
        local = LOCAL_NAMES.get(part.casefold())
        if local:
            return local
        if len(part) == 2 and part.isalpha() and not part.isupper():
            continue  # "de" in a sentence is not Germany; "DE" is
        try:
            return pycountry.countries.lookup(part).alpha_2
        except LookupError:
            continue
    return None


def default_region_of_event(db: Database, event_id) -> str | None:
    """Where the event takes place, for phone numbers printed without "+code": the country its
    location names, else the country most of its leads already have, else None."""
    if event_id is None:
        return None
    with db.reader() as s:
        return region_of_event_in(s, event_id)


def region_of_event_in(s: Session, event_id) -> str | None:
    """:func:`default_region_of_event` inside an open session."""
    cid = as_uuid(event_id, field="event_id")
    location = s.scalar(select(Campaign.location).where(Campaign.id == cid, Campaign.deleted.is_(False)))
    found = country_of_place(location)
    if found:
        return found
    row = s.execute(select(Contact.country, func.count()).where(
        Contact.campaign_id == cid, Contact.deleted.is_(False), Contact.country.is_not(None))
        .group_by(Contact.country).order_by(func.count().desc(), Contact.country).limit(1)).first()
    return row[0] if row else None
