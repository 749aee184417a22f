"""Planning the demo's companies and how to reach people: name pools, accounts, phones, e-mails.

Pure planning, no database: per-locale pools of names, companies and streets (Faker for
the Latin-script locales, the curated pairs of ``_tables`` for the others), the accounts
with their size, industry and owner, and phone numbers and e-mail addresses as people
type them. A mixin of ``generate._Generator``: it uses the generator's random source
and clock.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from decimal import Decimal

from faker import Faker

from leaddesk.ids import new_id
from leaddesk.models.enums import EmailKind, PhoneKind
from leaddesk.services import validation as v
from leaddesk.services.demo._plan import _Acct, _ascii, _group, _Pick, _Rep, _slug_company
from leaddesk.services.demo._tables import FX_PER_EUR, INDUSTRIES, LOCALES, _Locale


class _AccountPlans:
    # ---- pools -------------------------------------------------------------------------------
    def build_pools(self) -> None:
        """Per-locale pools of names, companies and streets (Faker is called a few thousand times)."""
        self.loc_pick = _Pick((loc, loc.weight) for loc in LOCALES)
        total_w = sum(loc.weight for loc in LOCALES)
        self.pools: dict[str, dict] = {}
        for n, loc in enumerate(LOCALES):
            expected = self.scale.accounts * loc.weight / total_w
            pool: dict = {"city": _Pick((c, 1 / (i + 1.5)) for i, c in enumerate(loc.cities))}
            if loc.names is not None:
                male, female, family = loc.names
                pool["male"], pool["female"], pool["family"] = list(male), list(female), list(family)
                pool["streets"] = list(loc.streets)
                pool["companies"] = None
            else:
                fake = Faker(loc.code)
                fake.seed_instance(self.seed * 1000 + n)
                pool["male"] = [(x, _ascii(x, loc.code)) for x in dict.fromkeys(
                    fake.first_name_male() for _ in range(400))]
                pool["female"] = [(x, _ascii(x, loc.code)) for x in dict.fromkeys(
                    fake.first_name_female() for _ in range(400))]
                pool["family"] = [(x, _ascii(x, loc.code)) for x in dict.fromkeys(
                    fake.last_name() for _ in range(800))]
                pool["streets"] = list(dict.fromkeys(fake.street_name() for _ in range(300)))
                pool["companies"] = list(dict.fromkeys(fake.company() for _ in range(int(expected * 1.3) + 50)))
            for key in ("male", "female", "family"):
                pool[key] = [(unicodedata.normalize("NFC", a), b or "x") for a, b in pool[key]]
            self.pools[loc.code] = pool

    def company_name(self, loc: _Locale) -> tuple[str, str, str | None]:
        """(name, domain slug, industry or None)."""
        rng, pool = self.rng, self.pools[loc.code]
        if pool["companies"] is not None:
            name = rng.choice(pool["companies"])
            return name, _slug_company(name), None
        native, slug_tpl, industry = rng.choice(loc.forms)
        r = rng.random()
        if r < 0.45:
            b, s = rng.choice(loc.brands)
        elif r < 0.75 and loc.code != "ar_SA":
            (b1, s1), (b2, s2) = rng.choice(loc.brands), rng.choice(loc.brands)
            if b1 == b2:
                b, s = b1, s1
            else:
                b, s = (f"{b1}{b2}" if loc.code == "th_TH" else f"{b1} {b2}"), f"{s1}{s2}"
        else:
            b, s = rng.choice(pool["family"])
            s = _ascii(s)
        return native.format(b=b), slug_tpl.format(s=s), industry

    # ---- accounts ------------------------------------------------------------------------------
    def plan_accounts(self) -> None:
        rng = self.rng
        industry = _Pick(INDUSTRIES)
        size_pick = _Pick((((1, 10), 18), ((11, 50), 30), ((51, 200), 26), ((201, 1000), 16),
                           ((1001, 5000), 7), ((5001, 40000), 3)))
        names_used: set[str] = set()
        domains_used: set[str] = set()
        self.accounts: list[_Acct] = []
        for _ in range(self.scale.accounts):
            loc = self.loc_pick(rng)
            city = self.pools[loc.code]["city"](rng)
            name, slug, ind = self.company_name(loc)
            if name in names_used:  # a second branch of the same name
                name = f"{name} – {city[0]}"
            names_used.add(name)
            tld = rng.choice(loc.tlds)
            domain = f"{slug}.{tld}"
            n = 2
            while domain in domains_used:
                domain = f"{slug}{n}.{tld}"
                n += 1
            domains_used.add(domain)
            lo, hi = size_pick(rng)
            employees = int(lo * (hi / lo) ** rng.random())
            size = "micro" if employees <= 10 else "small" if employees <= 200 else "large"
            owner = self.territory_rep(loc).id if rng.random() < 0.92 else None
            self.accounts.append(_Acct(new_id(), loc, name, domain, ind or industry(rng), employees, city, owner, size))
        self.acct_pick = _Pick((a, a.employees ** 0.35) for a in self.accounts)

    def territory_rep(self, loc: _Locale) -> _Rep:
        pick = self.territory.get(loc.code)
        if pick is None or self.rng.random() < 0.05:
            return self.any_rep(self.rng)
        return pick(self.rng)

    def account_rows(self) -> Iterator[dict]:
        rng = self.rng
        for a in self.accounts:
            loc = a.loc
            revenue_eur = a.employees * rng.randint(60, 260) * 1000
            cur = loc.currency
            revenue = (Decimal(revenue_eur) * FX_PER_EUR[cur]).quantize(Decimal(1000))
            phone = None
            if rng.random() < 0.85:
                phone = self.phone(loc, a.city, mobile=False)[1]
            tags = []
            if a.employees > 1000 and rng.random() < 0.5:
                tags.append("key-account")
            if rng.random() < 0.08:
                tags.append("competitor-customer")
            if rng.random() < 0.05:
                tags.append("reference")
            yield dict(id=a.id, name=a.name, name_key=v.sort_key(a.name), domain=a.domain,
                       website=f"https://www.{a.domain}", industry=a.industry, employees=a.employees,
                       annual_revenue=revenue, revenue_currency=cur, country=loc.country, city=a.city[0],
                       phone=phone, owner_id=a.owner, tags=sorted(tags), created_at=self.at(self.past(900, 0.8)))

    # ---- phones and e-mails ------------------------------------------------------------------
    def phone(self, loc: _Locale, city: tuple, *, mobile: bool) -> tuple[str, str]:
        """(as typed, E.164), normalised by validation.normalize_phone."""
        return v.normalize_phone(self.phone_raw(loc, city, mobile=mobile), region=loc.country)

    def phone_raw(self, loc: _Locale, city: tuple, *, mobile: bool) -> str:
        """A number of the city's area (or a mobile), in a local or international spelling."""
        rng = self.rng
        if loc.country == "US":
            nsn = city[2] + str(rng.randint(200, 999)) + f"{rng.randint(0, 9999):04d}"
            style = rng.random()
            if style < 0.5:
                raw = f"({nsn[:3]}) {nsn[3:6]}-{nsn[6:]}"
            elif style < 0.8:
                raw = f"{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}"
            else:
                raw = f"+1 {nsn[:3]} {nsn[3:6]} {nsn[6:]}"
        else:
            if mobile:
                prefix, length = rng.choice(loc.mobile)
            else:
                prefix, length = city[2], loc.landline_len
            k = length - len(prefix) - 1
            rest = str(rng.randint(2, 9)) + str(rng.randrange(10 ** k)).zfill(k)
            nsn = prefix + rest
            style = rng.random()
            if style < 0.25:
                raw = f"+{loc.cc} {prefix} {_group(rest)}"
            elif loc.country == "FR":
                d = "0" + nsn
                raw = " ".join(d[i:i + 2] for i in range(0, 10, 2))
            elif loc.country == "ES":
                raw = f"{nsn[:3]} {nsn[3:5]} {nsn[5:7]} {nsn[7:]}"
            elif loc.country == "TR" and not mobile and style < 0.6:
                raw = f"(0{prefix}) {rest[:3]} {rest[3:5]} {rest[5:]}"
            else:
                raw = f"{loc.trunk}{prefix} {_group(rest)}"
        return raw

    def email(self, given_lat: str, family_lat: str, domain: str, *, free: bool) -> str:
        """An address as typed (unique in this run); validated later by normalize_email."""
        rng = self.rng
        f, l = given_lat.lower(), family_lat.lower()
        r = rng.random()
        if free:
            local = (f"{f}.{l}{rng.randint(1, 99)}" if r < 0.45 else f"{f}{l}" if r < 0.7
                     else f"{f[0]}{l}{rng.randint(70, 99)}" if r < 0.9 else f"{l}.{f}")
        else:
            local = (f"{f}.{l}" if r < 0.5 else f"{f[0]}{l}" if r < 0.7 else f"{f}{l}" if r < 0.82
                     else f"{f}_{l}" if r < 0.88 else f"{l}.{f}" if r < 0.94 else f)
        address = f"{local}@{domain}"
        n = 2
        while address in self.emails_used:
            address = f"{local}{n}@{domain}"
            n += 1
        self.emails_used.add(address)
        # people type their addresses with some capitals; matching uses the normalised form
        if rng.random() < 0.15:
            address = address[0].upper() + address[1:]
        return address

    def plan_channels(self) -> None:
        """E-mails and phones per contact, as typed; :class:`_Normalizer` adds the
        normalised forms before they are written."""
        rng = self.rng
        self.emails_used: set[str] = set()
        self.email_rows: list[dict] = []
        self.phone_rows: list[dict] = []
        for p in self.people:
            loc, acct = p.loc, p.acct
            gl, fl = p.latin
            created = self.at(p.captured)
            emails = []
            if rng.random() < 0.93:
                if acct is not None and rng.random() < 0.9:
                    emails.append((self.email(gl, fl, acct.domain, free=False), EmailKind.WORK))
                    if rng.random() < 0.12:
                        emails.append((self.email(gl, fl, rng.choice(loc.free_mail), free=True), EmailKind.HOME))
                else:
                    emails.append((self.email(gl, fl, rng.choice(loc.free_mail), free=True),
                                   EmailKind.WORK if acct is None else EmailKind.HOME))
            for pos, (address, kind) in enumerate(emails):
                self.email_rows.append(dict(contact_id=p.id, kind=kind, address=address, address_normalized=None,
                                            position=pos, created_at=created))
            if rng.random() < 0.62:
                city = acct.city if acct else self.pools[loc.code]["city"](rng)
                first_mobile = acct is None or rng.random() < 0.45
                phones = [(self.phone_raw(loc, city, mobile=first_mobile),
                           PhoneKind.MOBILE if first_mobile else PhoneKind.WORK)]
                if rng.random() < 0.12:
                    phones.append((self.phone_raw(loc, city, mobile=not first_mobile),
                                   PhoneKind.WORK if first_mobile else PhoneKind.MOBILE))
                for pos, (raw, kind) in enumerate(phones):
                    self.phone_rows.append(dict(contact_id=p.id, kind=kind, raw=raw, e164=None, position=pos,
                                                created_at=created, region=loc.country))
