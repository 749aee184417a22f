"""One invented card holder per call: who they are and how their card prints it."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

import faker
import phonenumbers

#: locale -> (ISO country, country name as printed, ccTLD)
LOCALES = {
    "en_US": ("US", "USA", "com"),
    "en_GB": ("GB", "United Kingdom", "co.uk"),
    "de_DE": ("DE", "Deutschland", "de"),
    "fr_FR": ("FR", "France", "fr"),
    "es_ES": ("ES", "España", "es"),
    "it_IT": ("IT", "Italia", "it"),
    "nl_NL": ("NL", "Nederland", "nl"),
    "tr_TR": ("TR", "Türkiye", "com.tr"),
    "pt_PT": ("PT", "Portugal", "pt"),
    "ar_AE": ("AE", "الإمارات", "ae"),
    "fa_IR": ("IR", "ایران", "ir"),
    "th_TH": ("TH", "ประเทศไทย", "co.th"),
}

#: Business-card titles as people print them (the generator's own list, written apart
#: from the extractor's word lists so the benchmark does not grade the rules on themselves).
TITLES = {
    "en": ["Sales Manager", "Head of Marketing", "Senior Account Executive", "Chief Executive Officer",
           "Procurement Lead", "Regional Sales Director", "Software Engineer", "Office Manager",
           "Business Development Manager", "Customer Success Manager", "Operations Director", "CFO",
           "Warehouse Supervisor", "Key Account Manager", "Purchasing Agent", "Founder & CEO"],
    "de": ["Lagerleiter", "Vertriebsleiter", "Geschäftsführer", "Einkaufsleiterin", "Projektleiter",
           "Key Account Managerin", "Leiter Marketing", "Technischer Berater", "Prokurist",
           "Außendienstmitarbeiter", "Verkaufsberater", "Abteilungsleiterin Logistik"],
    "fr": ["Directeur commercial", "Responsable des achats", "Chef de projet", "Directrice marketing",
           "Ingénieur commercial", "Gérant", "Responsable logistique", "Chargée d'affaires"],
    "es": ["Director comercial", "Jefe de compras", "Gerente general", "Responsable de logística",
           "Directora de marketing", "Ingeniero de ventas", "Jefa de proyecto"],
    "it": ["Direttore commerciale", "Responsabile acquisti", "Amministratore delegato",
           "Responsabile logistica", "Capo progetto", "Direttrice marketing", "Agente di commercio"],
    "nl": ["Verkoopleider", "Inkoper", "Directeur", "Accountmanager", "Projectleider",
           "Hoofd logistiek", "Commercieel directeur"],
    "tr": ["Depo Müdürü", "Satış Müdürü", "Genel Müdür", "Satın Alma Uzmanı", "Proje Yöneticisi",
           "İhracat Sorumlusu", "Pazarlama Müdürü"],
    "pt": ["Diretor comercial", "Gestor de compras", "Diretora de marketing", "Gerente de vendas",
           "Responsável de logística", "Engenheiro comercial"],
    "ar": ["مدير المبيعات", "مدير عام", "مسؤول المشتريات"],
    "fa": ["مدیر فروش", "مدیر عامل", "کارشناس خرید"],
    "th": ["ผู้จัดการฝ่ายขาย", "กรรมการผู้จัดการ", "เจ้าหน้าที่จัดซื้อ"],
}

#: Label words a card prints before a number, per language: (office, mobile, fax, email, web).
LABELS = {
    "en": (["T", "Tel.", "Phone", "Office", "P"], ["M", "Mobile", "Cell", "Mob."], ["F", "Fax"],
           ["E", "Email", "E-mail"], ["W", "Web"]),
    "de": (["T", "Tel.", "Telefon", "Fon"], ["M", "Mobil", "Handy", "Mob."], ["F", "Fax"],
           ["E", "E-Mail", "Mail"], ["W", "Web", "Internet"]),
    "fr": (["T", "Tél.", "Tél", "Bureau"], ["M", "Mobile", "Port."], ["F", "Fax"], ["E", "Courriel", "E-mail"],
           ["W", "Web", "Site"]),
    "es": (["T", "Tel.", "Teléfono"], ["M", "Móvil", "Cel."], ["F", "Fax"], ["E", "Correo", "E-mail"],
           ["W", "Web"]),
    "it": (["T", "Tel.", "Telefono"], ["M", "Cell.", "Cellulare", "Mob."], ["F", "Fax"], ["E", "E-mail", "Email"],
           ["W", "Web", "Sito"]),
    "nl": (["T", "Tel.", "Telefoon"], ["M", "Mobiel", "GSM"], ["F", "Fax"], ["E", "E-mail"], ["W", "Web"]),
    "tr": (["T", "Tel", "Tel."], ["M", "Cep", "GSM", "Mobil"], ["F", "Faks", "Fax"], ["E", "E-posta", "E-mail"],
           ["W", "Web"]),
    "pt": (["T", "Tel.", "Telefone"], ["M", "Tlm.", "Móvel", "Cel."], ["F", "Fax"], ["E", "E-mail"],
           ["W", "Web", "Site"]),
}
LABELS.update({k: LABELS["en"] for k in ("ar", "fa", "th")})

_COMPANY_SUFFIX = {
    "en_US": ["Inc.", "LLC", "Corp.", "Co."], "en_GB": ["Ltd", "Ltd.", "PLC", "LLP"],
    "de_DE": ["GmbH", "AG", "GmbH & Co. KG", "KG", "e.K."], "fr_FR": ["SARL", "SAS", "S.A."],
    "es_ES": ["S.L.", "S.A.", "SL"], "it_IT": ["S.r.l.", "S.p.A.", "srl"], "nl_NL": ["B.V.", "BV", "N.V."],
    "tr_TR": ["A.Ş.", "Ltd. Şti.", "San. ve Tic. A.Ş."], "pt_PT": ["Lda.", "S.A."],
    "ar_AE": ["LLC", "FZE", "FZCO"], "fa_IR": ["Co.", "Ltd."], "th_TH": ["Co., Ltd.", "Ltd."],
}
_COMPANY_WORDS = ["Nordwind", "Alpina", "Brightline", "Kestrel", "Solara", "Meridian", "Vantage", "Tecnova",
                  "Polaris", "Helix", "Lumen", "Orbital", "Cobalt", "Fjord", "Granite", "Atlas", "Zenith",
                  "Quantum", "Harbor", "Sierra", "Vertex", "Aurora", "Nimbus", "Castello", "Rivoli"]
_COMPANY_TRADES = {
    "en": ["Logistics", "Systems", "Foods", "Medical", "Software", "Packaging", "Energy", "Tools"],
    "de": ["Logistik", "Maschinenbau", "Feinkost", "Medizintechnik", "Verpackung", "Elektrotechnik"],
    "fr": ["Logistique", "Emballages", "Industries", "Conseil", "Technologies"],
    "es": ["Logística", "Envases", "Ingeniería", "Tecnologías", "Alimentación"],
    "it": ["Logistica", "Imballaggi", "Meccanica", "Tecnologie", "Alimentari"],
    "nl": ["Logistiek", "Verpakkingen", "Techniek", "Installatie", "Handel"],
    "tr": ["Lojistik", "Ambalaj", "Makina", "Gıda", "Teknoloji"],
    "pt": ["Logística", "Embalagens", "Engenharia", "Tecnologias"],
}
_ACADEMIC = {"de": ["Dr.", "Dipl.-Ing.", "Prof. Dr."], "en": ["Dr."], "fr": ["Dr"], "it": ["Dott.", "Ing."],
             "es": ["Dr."], "nl": ["Ir.", "Drs.", "Dr."], "tr": ["Dr."], "pt": ["Dr.", "Eng."]}


def ascii_slug(text: str) -> str:
    text = text.replace("ı", "i").replace("ß", "ss").replace("ø", "o")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "", text)


@dataclass
class Person:
    locale: str
    lang: str
    country: str
    given: str
    family: str
    prefix: str | None
    title: str
    company: str
    email: str
    website: str
    #: (type, number as printed, E.164)
    phones: list[tuple[str, str, str]]
    #: lines as printed, and the label's parts
    address_lines: list[str]
    address: dict
    family_first: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def printed_name(self) -> str:
        name = f"{self.family} {self.given}" if self.family_first else f"{self.given} {self.family}"
        return f"{self.prefix} {name}" if self.prefix else name


def _random_number(rng: random.Random, region: str, kind) -> phonenumbers.PhoneNumber:
    example = phonenumbers.example_number_for_type(region, kind) or phonenumbers.example_number(region)
    national = str(example.national_number)
    for _ in range(50):
        keep = max(2, len(national) - 6)
        digits = national[:keep] + "".join(str(rng.randrange(10)) for _ in range(len(national) - keep))
        num = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=int(digits))
        if phonenumbers.is_valid_number(num):
            return num
    return example


def unlabelled_type(e164: str) -> str:
    """What a reader can know of a number printed with no label: mobile when libphonenumber
    says so, else office (a US number is "fixed line or mobile": office)."""
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    return "mobile" if kind == phonenumbers.PhoneNumberType.MOBILE else "office"


def _phone(rng: random.Random, region: str, kind: str, international: bool) -> tuple[str, str, str]:
    ptype = phonenumbers.PhoneNumberType.MOBILE if kind == "mobile" else phonenumbers.PhoneNumberType.FIXED_LINE
    num = _random_number(rng, region, ptype)
    fmt = phonenumbers.PhoneNumberFormat.INTERNATIONAL if international else phonenumbers.PhoneNumberFormat.NATIONAL
    printed = phonenumbers.format_number(num, fmt)
    if region == "US" and not international and rng.random() < 0.4:
        printed = printed.replace("(", "").replace(") ", "-").replace(" ", "-")
    return kind, printed, phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def _address(f: faker.Faker, rng: random.Random, locale: str, country: str, country_name: str):
    num = str(rng.randint(1, 180))
    pc, city = f.postcode(), f.city()
    region = None
    if locale == "en_US":
        street = f"{num} {f.street_name()}"
        region = f.state_abbr()
        lines = [street, f"{city}, {region} {pc}"]
    elif locale == "en_GB":
        street = f"{num} {f.street_name()}"
        lines = [street, city, pc] if rng.random() < 0.5 else [street, f"{city} {pc}"]
    elif locale in ("de_DE", "nl_NL"):
        street = f"{f.street_name()} {num}"
        lines = [street, f"{pc} {city}"]
    elif locale == "fr_FR":
        street = f"{num}, {f.street_name()}"
        lines = [street, f"{pc} {city.upper() if rng.random() < 0.3 else city}"]
    elif locale in ("es_ES", "it_IT", "pt_PT"):
        street = f"{f.street_name()}, {num}"
        lines = [street, f"{pc} {city}"]
    elif locale == "tr_TR":
        street = f"{f.last_name()} Cad. No: {num}"
        city = rng.choice(["İstanbul", "Ankara", "İzmir", "Bursa", "Kocaeli"])
        pc = str(rng.randint(1, 81)).zfill(2) + str(rng.randint(0, 999)).zfill(3)
        lines = [street, f"{pc} {city}"]
    else:
        street = f"{num} {f.street_name()}"
        lines = [street, f"{city} {pc}"]
    with_country = rng.random() < 0.4
    if with_country:
        lines.append(country_name)
    parts = {"street": street, "city": city, "region": region, "postal_code": pc,
             "country": country if with_country else None, "text": ", ".join(lines)}
    return lines, parts


def make_person(rng: random.Random, locale: str) -> Person:
    f = faker.Faker(locale)
    f.seed_instance(rng.randrange(1 << 30))
    country, country_name, tld = LOCALES[locale]
    lang = locale[:2]
    given, family = f.first_name(), f.last_name()
    if locale == "en_US" and rng.random() < 0.1:
        given = f"{given} {rng.choice('ABCDEFGHJKLMRST')}."
    prefix = rng.choice(_ACADEMIC[lang]) if lang in _ACADEMIC and rng.random() < 0.15 else None
    titles = TITLES[lang]
    title = rng.choice(titles)
    if lang in _COMPANY_TRADES:
        base = rng.choice(_COMPANY_WORDS) if rng.random() < 0.6 else family.split()[-1]
        company = f"{base} {rng.choice(_COMPANY_TRADES[lang])} {rng.choice(_COMPANY_SUFFIX[locale])}"
        slug = ascii_slug(base)
    else:
        base = rng.choice(_COMPANY_WORDS)
        company = f"{base} {rng.choice(['Trading', 'Group', 'Systems'])} {rng.choice(_COMPANY_SUFFIX[locale])}"
        slug = ascii_slug(base)
    if len(slug) < 3:
        slug = ascii_slug(f.user_name())
    domain = f"{slug}-{rng.choice(['group', 'tech', 'gmbh', 'pro', 'online'])}.{tld}" \
        if rng.random() < 0.25 else f"{slug}.{tld}"
    user_g, user_f = ascii_slug(given.split()[0]), ascii_slug(family)
    if not user_g or not user_f:
        user = ascii_slug(f.user_name()) or "info"
    else:
        user = rng.choice([f"{user_g}.{user_f}", f"{user_g[0]}.{user_f}", f"{user_g}", f"{user_f}"])
    email = f"{user}@{domain}"
    website = f"www.{domain}"
    region = country
    international = rng.random() < 0.6
    kinds = rng.choice([["office"], ["office", "mobile"], ["mobile"], ["office", "fax"],
                        ["office", "mobile", "fax"], ["office", "mobile"]])
    phones = []
    for k in kinds:  # two kinds may draw the same number when few numbers are valid: print it once
        ph = _phone(rng, region, k, international)
        if all(ph[2] != q[2] for q in phones):
            phones.append(ph)
    lines, parts = _address(f, rng, locale, country, country_name)
    family_first = False
    return Person(locale, lang, country, given, family, prefix, title, company, email, website,
                  phones, lines, parts, family_first)
