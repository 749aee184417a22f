"""Realistic, seeded, reproducible demo data, written through the bulk journal path.

``generate(db, scale="large")`` fills a database with 100,000 contacts, 30,000 accounts,
20,000 opportunities and 200,000 activities (``small`` is 1/100 of that), plus what makes
them look like a real team's CRM: reps and managers in two teams, three pipelines, trade
shows and other campaigns with their costs, lifecycle history, engagement signals, BANT
records and personas.

How it stays fast: names, companies and streets come from small per-locale pools (Faker for
the Latin-script locales, curated native/Latin pairs for Persian, Arabic, Thai and Turkish,
whose e-mail addresses need a transliteration) combined at random; every row goes through
:func:`leaddesk.sync.journal.bulk_insert` (the ORM path's stamping: who, when, the row's
creation clock) in chunks of 10,000, inside ONE unit of work and one
:func:`leaddesk.services.bulk.bulk_load` block, so a cancelled or failed run leaves nothing
behind. Demo data is a *snapshot* (``journal=False``): its rows are not queued in the outbox
as changes to push, and on SQLite the search index is built once at the end instead of by
per-row triggers.

How it stays reproducible: one ``random.Random(seed)`` and seeded Faker instances; all times
are offsets from ``now`` (pass it to get byte-identical content). Only primary keys differ
between runs (UUIDv7, so a second ``force`` run never collides with the first).

Every e-mail and phone number passes :mod:`leaddesk.services.validation` (phones are stored
E.164); every amount is a :class:`~decimal.Decimal`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import itertools
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from decimal import Decimal

from faker import Faker
from faker.decode import unidecode
from sqlalchemy import func, select

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError, ValidationError
from leaddesk.ids import new_id
from leaddesk.models import (
    Account,
    Activity,
    Bant,
    Campaign,
    Contact,
    ContactEmail,
    ContactPhone,
    EngagementEvent,
    Indicator,
    LifecycleEvent,
    LostReason,
    Opportunity,
    OpportunityEvent,
    Persona,
    Pipeline,
    PipelineStage,
    Team,
    User,
)
from leaddesk.models.enums import (
    ActivityKind,
    ActivityOutcome,
    Authority,
    BantResult,
    CampaignKind,
    EmailKind,
    EngagementKind,
    LeadSource,
    LifecycleStage,
    OpportunityStatus,
    PhoneKind,
    Role,
    Seniority,
)
from leaddesk.services import setup
from leaddesk.services import validation as v
from leaddesk.services.bulk import bulk_load
from leaddesk.services.people.contacts import display_name
from leaddesk.sync import journal

Progress = Callable[[str, int, int], None]

#: Rows per ``bulk_insert`` call (one executemany each).
CHUNK = 10_000
#: Ids of the fixed demo records (users, teams, pipelines ...) are UUIDv5 in this namespace,
#: so a second run with ``force`` reuses them instead of duplicating the team.
DEMO_NAMESPACE = uuid.UUID("8d1f5c3a-4e0b-4b6f-9a7e-2c4d6e8f0a1b")

L, I, M, S = LifecycleStage.LEAD, LifecycleStage.IQL, LifecycleStage.MQL, LifecycleStage.SQL
OPP, CUST = LifecycleStage.OPPORTUNITY, LifecycleStage.CUSTOMER
NUR, DQ = LifecycleStage.NURTURE, LifecycleStage.DISQUALIFIED
OPEN, WON, LOST = OpportunityStatus.OPEN, OpportunityStatus.WON, OpportunityStatus.LOST
DAY = 86_400


@dataclass(frozen=True)
class Scale:
    contacts: int
    accounts: int
    opportunities: int
    activities: int


SCALES = {
    "small": Scale(contacts=1_000, accounts=300, opportunities=200, activities=2_000),
    "large": Scale(contacts=100_000, accounts=30_000, opportunities=20_000, activities=200_000),
}


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate` wrote: rows per entity (new rows only) and the time it took."""

    scale: str
    seed: int
    seconds: float
    teams: int = 0
    users: int = 0
    pipelines: int = 0
    pipeline_stages: int = 0
    campaigns: int = 0
    personas: int = 0
    indicators: int = 0
    accounts: int = 0
    contacts: int = 0
    contact_emails: int = 0
    contact_phones: int = 0
    lifecycle_events: int = 0
    engagement_events: int = 0
    opportunities: int = 0
    opportunity_events: int = 0
    bant: int = 0
    activities: int = 0

    @property
    def counts(self) -> dict[str, int]:
        """Entity -> rows written, in the order they were written."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("scale", "seed", "seconds")}

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


class DemoCancelled(LeadDeskError):
    """The caller set the cancel event; the transaction was rolled back."""

    def __init__(self) -> None:
        super().__init__("Demo data generation was cancelled; nothing was saved.")


# =========================================================================================
# Vocabulary: locales
# =========================================================================================

@dataclass(frozen=True)
class _Locale:
    code: str                      # Faker locale
    country: str                   # ISO 3166 alpha-2
    currency: str
    weight: float                  # share of accounts and contacts
    cc: str                        # country calling code
    trunk: str                     # national trunk prefix ("0", or "" in Spain/US)
    mobile: tuple[tuple[str, int], ...]   # (national prefix, national number length)
    landline_len: int
    #: (city, region, landline area code, postal code prefix)
    cities: tuple[tuple[str, str, str, str], ...]
    postal_len: int
    tlds: tuple[str, ...]
    free_mail: tuple[str, ...]
    #: curated names: male, female, family as (native, latin); None = Faker pools
    names: tuple | None = None
    #: curated company brands (native, latin) and forms (native, latin slug, industry)
    brands: tuple = ()
    forms: tuple = ()
    streets: tuple = ()
    street_format: str = "{street} {n}"
    digits: str = "0123456789"     # digits used in street numbers (Persian uses its own)


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``"native:latin, native:latin"`` -> pairs (keeps the tables below readable)."""
    out = []
    for item in text.split(","):
        native, _, latin = item.strip().partition(":")
        out.append((unicodedata.normalize("NFC", native.strip()), latin.strip()))
    return tuple(out)


def _words(text: str) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFC", w.strip()) for w in text.split(",") if w.strip())


IND_LOG, IND_MFG, IND_FOOD = "Logistics & Warehousing", "Manufacturing", "Food & Beverage"
IND_RETAIL, IND_WHOLE, IND_AUTO = "Retail & E-commerce", "Wholesale & Distribution", "Automotive"
IND_CONS, IND_PHARMA, IND_HEALTH = "Construction", "Pharmaceuticals", "Healthcare"
IND_SOFT, IND_ENERGY, IND_TEXT = "Software & IT Services", "Energy & Utilities", "Textiles & Apparel"
IND_MACH, IND_CHEM, IND_AGRO = "Industrial Machinery", "Chemicals", "Agriculture"
IND_FURN, IND_TEL, IND_HOSP = "Furniture", "Telecommunications", "Hospitality"

#: Industries with their weight (the product sells warehouse and fleet software).
INDUSTRIES = (
    (IND_LOG, 16), (IND_MFG, 14), (IND_WHOLE, 11), (IND_RETAIL, 10), (IND_FOOD, 9), (IND_AUTO, 6),
    (IND_CONS, 5), (IND_PHARMA, 4), (IND_HEALTH, 4), (IND_SOFT, 5), (IND_ENERGY, 3), (IND_TEXT, 3),
    (IND_MACH, 4), (IND_CHEM, 2), (IND_AGRO, 2), (IND_FURN, 2), (IND_TEL, 1), (IND_HOSP, 1),
)

_FA_FORMS = (
    ("گروه صنعتی {b}", "{s}group", IND_MFG), ("بازرگانی {b}", "{s}trading", IND_WHOLE),
    ("حمل و نقل {b}", "{s}logistics", IND_LOG), ("انبارداری {b}", "{s}warehouse", IND_LOG),
    ("فولاد {b}", "{s}steel", IND_MFG), ("داروسازی {b}", "{s}pharma", IND_PHARMA),
    ("صنایع غذایی {b}", "{s}food", IND_FOOD), ("شرکت نرم‌افزاری {b}", "{s}soft", IND_SOFT),
    ("شرکت ساختمانی {b}", "{s}construction", IND_CONS), ("بیمارستان {b}", "{s}hospital", IND_HEALTH),
    ("نساجی {b}", "{s}textile", IND_TEXT), ("قطعه‌سازی {b}", "{s}parts", IND_AUTO),
    ("پتروشیمی {b}", "{s}petrochem", IND_CHEM), ("فروشگاه‌های زنجیره‌ای {b}", "{s}shop", IND_RETAIL),
    ("ماشین‌سازی {b}", "{s}machinery", IND_MACH), ("پخش {b}", "{s}distribution", IND_WHOLE),
)
_AR_FORMS = (
    ("شركة {b} للتجارة", "{s}trading", IND_WHOLE), ("مجموعة {b} الصناعية", "{s}group", IND_MFG),
    ("{b} للخدمات اللوجستية", "{s}logistics", IND_LOG), ("مستودعات {b}", "{s}warehousing", IND_LOG),
    ("مصنع {b} للبلاستيك", "{s}plastic", IND_MFG), ("{b} للمقاولات", "{s}contracting", IND_CONS),
    ("{b} للأغذية", "{s}foods", IND_FOOD), ("{b} للتقنية", "{s}tech", IND_SOFT),
    ("مستشفى {b}", "{s}hospital", IND_HEALTH), ("{b} للصناعات الدوائية", "{s}pharma", IND_PHARMA),
    ("{b} للطاقة", "{s}energy", IND_ENERGY), ("{b} للسيارات", "{s}motors", IND_AUTO),
    ("أسواق {b}", "{s}markets", IND_RETAIL), ("{b} للكيماويات", "{s}chemicals", IND_CHEM),
    ("{b} للمعدات الصناعية", "{s}equipment", IND_MACH), ("مؤسسة {b} للتوزيع", "{s}distribution", IND_WHOLE),
)
_TH_FORMS = (
    ("บริษัท {b} โลจิสติกส์ จำกัด", "{s}logistics", IND_LOG), ("บริษัท {b} อินเตอร์เทรด จำกัด", "{s}intertrade", IND_WHOLE),
    ("บริษัท {b} ฟู้ดส์ จำกัด (มหาชน)", "{s}foods", IND_FOOD), ("บริษัท {b} เอ็นจิเนียริ่ง จำกัด", "{s}engineering", IND_MACH),
    ("โรงพยาบาล{b}", "{s}hospital", IND_HEALTH), ("บริษัท {b} ซอฟต์แวร์ จำกัด", "{s}software", IND_SOFT),
    ("บริษัท {b} ออโต้พาร์ท จำกัด", "{s}autoparts", IND_AUTO), ("บริษัท {b} คอนสตรัคชั่น จำกัด", "{s}construction", IND_CONS),
    ("บริษัท {b} เท็กซ์ไทล์ จำกัด", "{s}textile", IND_TEXT), ("บริษัท {b} เคมีคอล จำกัด", "{s}chemical", IND_CHEM),
    ("บริษัท {b} รีเทล จำกัด", "{s}retail", IND_RETAIL), ("บริษัท {b} อะโกร จำกัด", "{s}agro", IND_AGRO),
    ("บริษัท {b} แมนูแฟคเจอริ่ง จำกัด", "{s}mfg", IND_MFG), ("บริษัท {b} ดิสทริบิวชั่น จำกัด", "{s}distribution", IND_WHOLE),
)
_TR_FORMS = (
    ("{b} Lojistik A.Ş.", "{s}lojistik", IND_LOG), ("{b} Nakliyat ve Depolama Ltd. Şti.", "{s}nakliyat", IND_LOG),
    ("{b} Gıda San. ve Tic. A.Ş.", "{s}gida", IND_FOOD), ("{b} Tekstil Ltd. Şti.", "{s}tekstil", IND_TEXT),
    ("{b} İnşaat A.Ş.", "{s}insaat", IND_CONS), ("{b} Yazılım Teknolojileri A.Ş.", "{s}yazilim", IND_SOFT),
    ("{b} Otomotiv Yedek Parça Ltd. Şti.", "{s}otomotiv", IND_AUTO), ("{b} Enerji A.Ş.", "{s}enerji", IND_ENERGY),
    ("{b} Makina San. Ltd. Şti.", "{s}makina", IND_MACH), ("{b} Kimya San. A.Ş.", "{s}kimya", IND_CHEM),
    ("{b} Mobilya Ltd. Şti.", "{s}mobilya", IND_FURN), ("{b} Dış Ticaret Ltd. Şti.", "{s}disticaret", IND_WHOLE),
    ("{b} Mağazacılık A.Ş.", "{s}magazacilik", IND_RETAIL), ("{b} Sağlık Hizmetleri A.Ş.", "{s}saglik", IND_HEALTH),
    ("{b} İlaç San. A.Ş.", "{s}ilac", IND_PHARMA), ("{b} Metal Sanayi A.Ş.", "{s}metal", IND_MFG),
)

LOCALES: tuple[_Locale, ...] = (
    _Locale(
        "en_US", "US", "USD", 20, "1", "", (), 10,
        (("New York", "NY", "212", "100"), ("Chicago", "IL", "312", "606"), ("Houston", "TX", "713", "770"),
         ("Los Angeles", "CA", "213", "900"), ("Atlanta", "GA", "404", "303"), ("Dallas", "TX", "214", "752"),
         ("Seattle", "WA", "206", "981"), ("Boston", "MA", "617", "021"), ("Denver", "CO", "303", "802"),
         ("Miami", "FL", "305", "331"), ("Austin", "TX", "512", "787"), ("Memphis", "TN", "901", "381")),
        5, ("com", "com", "com", "net", "io"), ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com"),
        street_format="{n} {street}"),
    _Locale(
        "de_DE", "DE", "EUR", 18, "49", "0",
        (("151", 11), ("152", 11), ("157", 11), ("160", 10), ("162", 11), ("170", 10), ("171", 10),
         ("172", 10), ("175", 10), ("176", 11), ("177", 11), ("178", 11), ("179", 11)), 10,
        (("Berlin", "Berlin", "30", "10"), ("Hamburg", "Hamburg", "40", "20"), ("München", "Bayern", "89", "80"),
         ("Köln", "Nordrhein-Westfalen", "221", "50"), ("Frankfurt am Main", "Hessen", "69", "60"),
         ("Stuttgart", "Baden-Württemberg", "711", "70"), ("Düsseldorf", "Nordrhein-Westfalen", "211", "40"),
         ("Leipzig", "Sachsen", "341", "04"), ("Hannover", "Niedersachsen", "511", "30"),
         ("Nürnberg", "Bayern", "911", "90"), ("Bremen", "Bremen", "421", "28"),
         ("Dortmund", "Nordrhein-Westfalen", "231", "44")),
        5, ("de", "de", "de", "com"), ("gmx.de", "web.de", "t-online.de", "gmail.com", "outlook.de")),
    _Locale(
        "fr_FR", "FR", "EUR", 10, "33", "0", (("6", 9), ("7", 9)), 9,
        (("Paris", "Île-de-France", "1", "75"), ("Lyon", "Auvergne-Rhône-Alpes", "4", "69"),
         ("Marseille", "Provence-Alpes-Côte d'Azur", "4", "13"), ("Toulouse", "Occitanie", "5", "31"),
         ("Lille", "Hauts-de-France", "3", "59"), ("Bordeaux", "Nouvelle-Aquitaine", "5", "33"),
         ("Nantes", "Pays de la Loire", "2", "44"), ("Strasbourg", "Grand Est", "3", "67"),
         ("Rennes", "Bretagne", "2", "35"), ("Le Havre", "Normandie", "2", "76")),
        5, ("fr", "fr", "com"), ("orange.fr", "free.fr", "laposte.net", "gmail.com", "hotmail.fr"),
        street_format="{n}, {street}"),
    _Locale(
        "es_ES", "ES", "EUR", 10, "34", "", (("6", 9), ("7", 9)), 9,
        (("Madrid", "Comunidad de Madrid", "91", "28"), ("Barcelona", "Cataluña", "93", "08"),
         ("Valencia", "Comunidad Valenciana", "96", "46"), ("Sevilla", "Andalucía", "95", "41"),
         ("Zaragoza", "Aragón", "976", "50"), ("Bilbao", "País Vasco", "94", "48"), ("Málaga", "Andalucía", "95", "29"),
         ("Murcia", "Región de Murcia", "968", "30"), ("Valladolid", "Castilla y León", "983", "47")),
        5, ("es", "es", "com"), ("gmail.com", "hotmail.es", "yahoo.es", "outlook.es", "telefonica.net"),
        street_format="{street}, {n}"),
    _Locale(
        "tr_TR", "TR", "TRY", 12, "90", "0",
        tuple((p, 10) for p in ("505", "530", "532", "533", "535", "536", "537", "538", "539", "541", "542",
                                "543", "544", "545", "546", "552", "553", "555")), 10,
        (("İstanbul", "İstanbul", "212", "34"), ("İstanbul", "İstanbul", "216", "34"),
         ("Ankara", "Ankara", "312", "06"),
         ("İzmir", "İzmir", "232", "35"), ("Bursa", "Bursa", "224", "16"), ("Kocaeli", "Kocaeli", "262", "41"),
         ("Antalya", "Antalya", "242", "07"), ("Konya", "Konya", "332", "42"), ("Adana", "Adana", "322", "01"),
         ("Gaziantep", "Gaziantep", "342", "27"), ("Kayseri", "Kayseri", "352", "38")),
        5, ("com.tr", "com.tr", "com"), ("gmail.com", "hotmail.com", "yandex.com", "outlook.com"),
        names=(
            _pairs("Mehmet:Mehmet, Mustafa:Mustafa, Ahmet:Ahmet, Ali:Ali, Hüseyin:Huseyin, Hasan:Hasan, "
                   "İbrahim:Ibrahim, Murat:Murat, Emre:Emre, Burak:Burak, Can:Can, Serkan:Serkan, Okan:Okan, "
                   "Kerem:Kerem, Oğuz:Oguz, Barış:Baris, Cem:Cem, Uğur:Ugur, Volkan:Volkan, Tolga:Tolga, "
                   "Yusuf:Yusuf, Erkan:Erkan, Selim:Selim, Onur:Onur, Tuncay:Tuncay"),
            _pairs("Ayşe:Ayse, Fatma:Fatma, Zeynep:Zeynep, Elif:Elif, Emine:Emine, Merve:Merve, Özlem:Ozlem, "
                   "Esra:Esra, Derya:Derya, Selin:Selin, Gamze:Gamze, Büşra:Busra, Tuğba:Tugba, Ebru:Ebru, "
                   "Pınar:Pinar, Şule:Sule, Gökçe:Gokce, Nihan:Nihan, Deniz:Deniz, Canan:Canan, Sibel:Sibel, "
                   "İrem:Irem, Aslı:Asli, Hülya:Hulya"),
            _pairs("Yılmaz:Yilmaz, Kaya:Kaya, Demir:Demir, Şahin:Sahin, Çelik:Celik, Yıldız:Yildiz, "
                   "Yıldırım:Yildirim, Öztürk:Ozturk, Aydın:Aydin, Özdemir:Ozdemir, Arslan:Arslan, Doğan:Dogan, "
                   "Kılıç:Kilic, Aslan:Aslan, Çetin:Cetin, Kara:Kara, Koç:Koc, Kurt:Kurt, Özkan:Ozkan, "
                   "Şimşek:Simsek, Polat:Polat, Erdoğan:Erdogan, Güneş:Gunes, Aksoy:Aksoy, Korkmaz:Korkmaz, "
                   "Çakır:Cakir, Uçar:Ucar, Tekin:Tekin, Bulut:Bulut, Karaca:Karaca, Acar:Acar, Avcı:Avci"),
        ),
        brands=_pairs("Anadolu:anadolu, Marmara:marmara, Ege:ege, Başkent:baskent, Yıldız:yildiz, Atlas:atlas, "
                      "Doruk:doruk, Kuzey:kuzey, Toros:toros, Boğaziçi:bogazici, Kartal:kartal, Ufuk:ufuk, "
                      "Zirve:zirve, Akdeniz:akdeniz, Karadeniz:karadeniz, Kapadokya:kapadokya, Güneş:gunes, "
                      "Bereket:bereket, Kardelen:kardelen, Ekin:ekin, Umut:umut, Erciyes:erciyes, "
                      "Uludağ:uludag, Çınar:cinar, Safir:safir, Mavi:mavi, Altın:altin, Nehir:nehir"),
        forms=_TR_FORMS,
        streets=_words("Atatürk Caddesi, Cumhuriyet Caddesi, İstiklal Caddesi, Bağdat Caddesi, "
                       "Gazi Mustafa Kemal Bulvarı, İnönü Caddesi, Fevzi Çakmak Sokak, Barbaros Bulvarı, "
                       "Büyükdere Caddesi, Mithatpaşa Caddesi, Organize Sanayi Bölgesi 3. Cadde, Menderes Caddesi"),
        street_format="{street} No: {n}"),
    _Locale(
        "fa_IR", "IR", "IRR", 12, "98", "0",
        tuple((p, 10) for p in ("912", "913", "914", "915", "916", "917", "919", "935", "936", "937", "938",
                                "939", "901", "902", "990", "991")), 10,
        (("تهران", "تهران", "21", "1"), ("مشهد", "خراسان رضوی", "51", "9"), ("اصفهان", "اصفهان", "31", "8"),
         ("شیراز", "فارس", "71", "7"), ("تبریز", "آذربایجان شرقی", "41", "5"), ("کرج", "البرز", "26", "3"),
         ("اهواز", "خوزستان", "61", "6"), ("قم", "قم", "25", "3"), ("رشت", "گیلان", "13", "4"),
         ("یزد", "یزد", "35", "8"), ("کرمان", "کرمان", "34", "7")),
        10, ("ir", "ir", "com"), ("gmail.com", "yahoo.com", "chmail.ir", "outlook.com"),
        names=(
            _pairs("محمد:Mohammad, علی:Ali, رضا:Reza, حسین:Hossein, مهدی:Mehdi, امیر:Amir, سعید:Saeed, "
                   "حمید:Hamid, مجید:Majid, نیما:Nima, آرش:Arash, کامران:Kamran, بهروز:Behrouz, فرهاد:Farhad, "
                   "پویا:Pouya, سینا:Sina, کاوه:Kaveh, مسعود:Masoud, بابک:Babak, پژمان:Pezhman, امید:Omid, "
                   "کیوان:Keyvan, جواد:Javad, مرتضی:Morteza"),
            _pairs("فاطمه:Fatemeh, زهرا:Zahra, مریم:Maryam, سارا:Sara, نرگس:Narges, لیلا:Leila, مهسا:Mahsa, "
                   "نازنین:Nazanin, شیرین:Shirin, الهام:Elham, پریسا:Parisa, سمیرا:Samira, آزاده:Azadeh, "
                   "نسرین:Nasrin, یاسمن:Yasaman, هانیه:Hanieh, مینا:Mina, رویا:Roya, ژاله:Zhaleh, "
                   "گلناز:Golnaz, پروانه:Parvaneh, ستاره:Setareh"),
            _pairs("محمدی:Mohammadi, حسینی:Hosseini, احمدی:Ahmadi, رضایی:Rezaei, کریمی:Karimi, موسوی:Mousavi, "
                   "جعفری:Jafari, رحیمی:Rahimi, کاظمی:Kazemi, صادقی:Sadeghi, نوری:Nouri, قاسمی:Ghasemi, "
                   "اکبری:Akbari, هاشمی:Hashemi, زارعی:Zarei, تهرانی:Tehrani, شریفی:Sharifi, فرهادی:Farhadi, "
                   "نجفی:Najafi, طاهری:Taheri, یزدانی:Yazdani, امینی:Amini, مرادی:Moradi, بهرامی:Bahrami, "
                   "سلطانی:Soltani, پورمحمدی:Pourmohammadi, گلپایگانی:Golpayegani, شیرازی:Shirazi, "
                   "کرمانی:Kermani, اصفهانی:Esfahani"),
        ),
        brands=_pairs("پارس:pars, آریا:arya, سپهر:sepehr, نوین:novin, البرز:alborz, دماوند:damavand, کوثر:kowsar, "
                      "مهر:mehr, آسیا:asia, پیشرو:pishro, تدبیر:tadbir, زاگرس:zagros, سپاهان:sepahan, کیان:kian, "
                      "آفتاب:aftab, نگین:negin, آرمان:arman, رایان:rayan, فراز:faraz, اطلس:atlas, کاسپین:caspian, "
                      "هامون:hamoon, سیمرغ:simorgh, ارغوان:arghavan, ماهان:mahan, بهساز:behsaz, پایا:paya, "
                      "آوا:ava, تابان:taban, کارا:kara"),
        forms=_FA_FORMS,
        streets=_words("خیابان ولیعصر, خیابان انقلاب, خیابان آزادی, بلوار کشاورز, خیابان شریعتی, خیابان مطهری, "
                       "خیابان فاطمی, بلوار میرداماد, خیابان بهشتی, بلوار آفریقا, شهرک صنعتی, خیابان چهارباغ"),
        street_format="{street}، پلاک {n}", digits="۰۱۲۳۴۵۶۷۸۹"),
    _Locale(
        "ar_SA", "SA", "SAR", 10, "966", "0",
        tuple((p, 9) for p in ("50", "53", "54", "55", "56", "58", "59")), 9,
        (("الرياض", "منطقة الرياض", "11", "1"), ("جدة", "منطقة مكة المكرمة", "12", "2"),
         ("الدمام", "المنطقة الشرقية", "13", "3"), ("مكة المكرمة", "منطقة مكة المكرمة", "12", "2"),
         ("المدينة المنورة", "منطقة المدينة المنورة", "14", "4"), ("الخبر", "المنطقة الشرقية", "13", "3"),
         ("الجبيل", "المنطقة الشرقية", "13", "3"), ("بريدة", "منطقة القصيم", "16", "5"),
         ("تبوك", "منطقة تبوك", "14", "7"), ("أبها", "منطقة عسير", "17", "6")),
        5, ("com.sa", "sa", "com"), ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com"),
        names=(
            _pairs("محمد:Mohammed, عبدالله:Abdullah, فهد:Fahad, خالد:Khalid, سعود:Saud, عبدالرحمن:Abdulrahman, "
                   "فيصل:Faisal, سلطان:Sultan, تركي:Turki, ناصر:Nasser, ماجد:Majed, بندر:Bandar, يوسف:Yousef, "
                   "عمر:Omar, إبراهيم:Ibrahim, سلمان:Salman, نواف:Nawaf, راشد:Rashed, وليد:Waleed, "
                   "عبدالعزيز:Abdulaziz, منصور:Mansour, حمد:Hamad"),
            _pairs("نورة:Noura, سارة:Sarah, فاطمة:Fatimah, ريم:Reem, هند:Hind, لمى:Lama, منى:Mona, أمل:Amal, "
                   "دانة:Dana, هيفاء:Haifa, عبير:Abeer, لطيفة:Latifa, جواهر:Jawaher, شهد:Shahad, رهف:Rahaf, "
                   "العنود:Alanoud, مشاعل:Mashael, غادة:Ghada, أسماء:Asma"),
            _pairs("العتيبي:Alotaibi, القحطاني:Alqahtani, الغامدي:Alghamdi, الحربي:Alharbi, الزهراني:Alzahrani, "
                   "الشهري:Alshehri, الدوسري:Aldosari, المطيري:Almutairi, العنزي:Alanazi, الشمري:Alshammari, "
                   "السبيعي:Alsubaie, الرشيدي:Alrashidi, البلوي:Albalawi, العمري:Alomari, الجهني:Aljohani, "
                   "المالكي:Almalki, السهلي:Alsahli, الخالدي:Alkhaldi, التميمي:Altamimi, الفيفي:Alfaifi, "
                   "الشهراني:Alshahrani, العسيري:Alasiri, البقمي:Albaqami, الصاعدي:Alsaedi"),
        ),
        brands=_pairs("الأفق:alofuq, النخبة:alnokhba, الرواد:alrowad, المستقبل:almustaqbal, الخليج:alkhaleej, "
                      "النجم:alnajm, الواحة:alwaha, الصفوة:alsafwa, الريادة:alriyada, البيان:albayan, "
                      "الإتقان:aletqan, السنابل:alsanabel, الفجر:alfajr, المدار:almadar, الرؤية:alroya, "
                      "الأصالة:alasala, الماسة:almasa, التميز:altamayuz, الحكمة:alhikma, القمة:alqimma, "
                      "الوفاق:alwifaq, الساحل:alsahel, النخيل:alnakheel, الجود:aljood, العليان:alolayan, "
                      "الراشد:alrashed, السيف:alsaif, الموسى:almousa, الحمدان:alhamdan"),
        forms=_AR_FORMS,
        streets=_words("طريق الملك فهد, شارع التحلية, طريق الملك عبدالعزيز, شارع العليا, "
                       "طريق الأمير محمد بن عبدالعزيز, شارع الأمير سلطان, طريق المدينة, شارع فلسطين, "
                       "المدينة الصناعية الثانية, طريق الخرج"),
        street_format="{n} {street}"),
    _Locale(
        "th_TH", "TH", "THB", 8, "66", "0",
        tuple((p, 9) for p in ("61", "62", "63", "64", "65", "80", "81", "82", "83", "84", "85", "86", "87",
                               "88", "89", "90", "91", "92", "93", "94", "95")), 8,
        (("กรุงเทพมหานคร", "กรุงเทพมหานคร", "2", "10"), ("นนทบุรี", "นนทบุรี", "2", "11"),
         ("ชลบุรี", "ชลบุรี", "38", "20"), ("เชียงใหม่", "เชียงใหม่", "53", "50"),
         ("ระยอง", "ระยอง", "38", "21"), ("นครราชสีมา", "นครราชสีมา", "44", "30"),
         ("ขอนแก่น", "ขอนแก่น", "43", "40"), ("ภูเก็ต", "ภูเก็ต", "76", "83"),
         ("หาดใหญ่", "สงขลา", "74", "90"), ("อุดรธานี", "อุดรธานี", "42", "41")),
        5, ("co.th", "co.th", "com"), ("gmail.com", "hotmail.com", "yahoo.co.th", "outlook.co.th"),
        names=(
            _pairs("สมชาย:Somchai, สมศักดิ์:Somsak, วิชัย:Wichai, ประเสริฐ:Prasert, สุรชัย:Surachai, "
                   "ธนพล:Thanaphon, ณัฐพล:Natthaphon, กิตติ:Kitti, อนุชา:Anucha, ชัยวัฒน์:Chaiwat, "
                   "พงศกร:Phongsakon, ศักดิ์ชัย:Sakchai, วีระ:Wira, ธีรวัฒน์:Thirawat, อภิชาติ:Aphichat, "
                   "ปิยะ:Piya, สุทธิพงษ์:Sutthiphong, เอกชัย:Ekkachai, ภานุวัฒน์:Phanuwat"),
            _pairs("สุภาพร:Suphaphon, นภา:Napha, วิไล:Wilai, กาญจนา:Kanchana, ปิยะนุช:Piyanut, สุดารัตน์:Sudarat, "
                   "อรุณี:Aruni, พรทิพย์:Phonthip, ศิริพร:Siriphon, จิราพร:Chiraphon, ธิดารัตน์:Thidarat, "
                   "มาลี:Mali, รัตนา:Rattana, อัญชลี:Anchali, ณัฐธิดา:Natthida, พิมพ์ชนก:Phimchanok, "
                   "วรรณา:Wanna, ชุติมา:Chutima"),
            _pairs("ใจดี:Jaidee, ศรีสุข:Srisuk, วงศ์สวัสดิ์:Wongsawat, สุขสวัสดิ์:Suksawat, แสงทอง:Saengthong, "
                   "ทองดี:Thongdee, บุญมา:Boonma, รัตนพันธ์:Rattanaphan, ศรีวงศ์:Sriwong, พรหมมา:Phromma, "
                   "กิตติศักดิ์:Kittisak, จันทร์เพ็ญ:Chanphen, ชัยมงคล:Chaimongkol, เจริญผล:Charoenphon, "
                   "สมบูรณ์:Sombun, ประเสริฐสุข:Prasertsuk, วัฒนากุล:Watthanakul, ทองคำ:Thongkham, "
                   "มีสุข:Meesuk, บุญเรือง:Boonruang, สุวรรณรัตน์:Suwannarat, อินทร์แก้ว:Inkaew"),
        ),
        brands=_pairs("สยาม:siam, รุ่งเรือง:rungruang, ศรีไทย:srithai, เจริญกิจ:charoenkit, มั่นคง:mankong, "
                      "ทองไทย:thongthai, พัฒนา:phatthana, ล้านนา:lanna, อันดามัน:andaman, เอเชีย:asia, "
                      "ยูเนี่ยน:union, โกลเด้น:golden, บางกอก:bangkok, ไทยเจริญ:thaicharoen, วัฒนา:watthana, "
                      "มงคล:mongkol, รุ่งโรจน์:rungrot, สหกิจ:sahakit, ไพบูลย์:phaibun, ธนา:thana, "
                      "สุวรรณ:suwan, นครไทย:nakhonthai, แสงทอง:saengthong, อีสเทิร์น:eastern"),
        forms=_TH_FORMS,
        streets=_words("ถนนสุขุมวิท, ถนนพระราม 4, ถนนสีลม, ถนนเพชรบุรี, ถนนรัชดาภิเษก, ถนนพหลโยธิน, "
                       "ถนนลาดพร้าว, ถนนวิภาวดีรังสิต, ถนนบางนา-ตราด, ถนนนิมมานเหมินท์"),
        street_format="{n}/{m} {street}"),
)

#: EUR per unit is not needed; these are units per EUR (approximate, for revenue figures).
FX_PER_EUR = {"EUR": Decimal(1), "USD": Decimal("1.08"), "TRY": Decimal("44"), "IRR": Decimal("600000"),
              "SAR": Decimal("4.05"), "THB": Decimal("38")}

_LEGAL_WORDS = frozenset(
    "gmbh ag kg co ohg gbr ug mbh se stiftung kgaa sa sarl sas sasu eurl snc sl slu slne sll scoop "
    "inc llc ltd plc and sons group und et y e de del la le les fils cie corp partners".split()
)

# =========================================================================================
# Vocabulary: people, titles, reasons, texts
# =========================================================================================

DEPARTMENTS = ("Operations", "Logistics", "Procurement", "IT", "Finance", "Sales", "Marketing",
               "Engineering", "Customer Service", "Human Resources")
DEPARTMENT_WEIGHTS = (17, 17, 13, 12, 8, 9, 7, 7, 5, 5)
SE, SS, SM, SD, SV, SC, SO, SU = (Seniority.ENTRY, Seniority.SENIOR, Seniority.MANAGER, Seniority.DIRECTOR,
                                  Seniority.VP, Seniority.C_LEVEL, Seniority.OWNER, Seniority.UNKNOWN)
TITLES: dict[str, dict[Seniority, tuple[str, ...]]] = {
    "Operations": {SE: ("Operations Assistant", "Operations Coordinator"), SS: ("Senior Operations Analyst",),
                   SM: ("Operations Manager", "Plant Manager"), SD: ("Director of Operations",),
                   SV: ("VP Operations",), SC: ("Chief Operating Officer",)},
    "Logistics": {SE: ("Logistics Coordinator", "Dispatcher"), SS: ("Senior Logistics Planner", "Transport Planner"),
                  SM: ("Warehouse Manager", "Logistics Manager", "Fleet Manager"),
                  SD: ("Head of Logistics", "Supply Chain Director"), SV: ("VP Supply Chain",),
                  SC: ("Chief Supply Chain Officer",)},
    "Procurement": {SE: ("Buyer", "Purchasing Assistant"), SS: ("Senior Buyer", "Category Buyer"),
                    SM: ("Purchasing Manager", "Procurement Manager"), SD: ("Head of Procurement",),
                    SV: ("VP Procurement",), SC: ("Chief Procurement Officer",)},
    "IT": {SE: ("IT Support Specialist", "Junior System Administrator"),
           SS: ("Senior Systems Engineer", "IT Architect"),
           SM: ("IT Manager",), SD: ("Head of IT", "Director of IT"), SV: ("VP Information Technology",),
           SC: ("Chief Information Officer", "Chief Technology Officer")},
    "Finance": {SE: ("Accountant", "Finance Assistant"), SS: ("Senior Financial Analyst",),
                SM: ("Finance Manager", "Controller"), SD: ("Finance Director",), SV: ("VP Finance",),
                SC: ("Chief Financial Officer",)},
    "Sales": {SE: ("Sales Assistant", "Sales Development Representative"), SS: ("Senior Account Executive",),
              SM: ("Sales Manager", "Regional Sales Manager"), SD: ("Sales Director",), SV: ("VP Sales",),
              SC: ("Chief Revenue Officer",)},
    "Marketing": {SE: ("Marketing Coordinator",), SS: ("Senior Marketing Specialist",),
                  SM: ("Marketing Manager", "Digital Marketing Manager"), SD: ("Marketing Director",),
                  SV: ("VP Marketing",), SC: ("Chief Marketing Officer",)},
    "Engineering": {SE: ("Junior Engineer",), SS: ("Senior Engineer", "Lead Engineer"), SM: ("Engineering Manager",),
                    SD: ("Director of Engineering",), SV: ("VP Engineering",), SC: ("Chief Technology Officer",)},
    "Customer Service": {SE: ("Customer Service Representative",), SS: ("Senior Support Specialist",),
                         SM: ("Customer Service Manager",), SD: ("Director of Customer Success",),
                         SV: ("VP Customer Experience",), SC: ("Chief Customer Officer",)},
    "Human Resources": {SE: ("HR Assistant", "Recruiter"), SS: ("Senior HR Business Partner",), SM: ("HR Manager",),
                        SD: ("HR Director",), SV: ("VP People",), SC: ("Chief People Officer",)},
}
EXECUTIVE_TITLES = {SC: ("Chief Executive Officer", "Managing Director", "General Manager"),
                    SO: ("Owner", "Founder", "Founder & CEO", "Managing Partner")}
SENIORITY_BY_SIZE = {  # weights of (entry, senior, manager, director, vp, c_level, owner, unknown)
    "micro": (8, 8, 20, 6, 0, 18, 34, 6),
    "small": (18, 20, 28, 12, 2, 8, 8, 4),
    "large": (24, 24, 27, 13, 5, 3, 0, 4),
}
SENIORITY_ORDER = (SE, SS, SM, SD, SV, SC, SO, SU)

#: (stage, share of contacts): most leads never qualify (domain brief).
STAGE_SHARES = ((L, 0.40), (I, 0.15), (M, 0.15), (S, 0.07), (OPP, 0.03), (CUST, 0.02), (NUR, 0.10), (DQ, 0.08))

SOURCES = (
    (LeadSource.TRADE_SHOW, 22), (LeadSource.BUSINESS_CARD, 12), (LeadSource.WEB_FORM, 14),
    (LeadSource.CONTENT_DOWNLOAD, 10), (LeadSource.NEWSLETTER, 7), (LeadSource.WEBINAR, 6),
    (LeadSource.REFERRAL, 6), (LeadSource.COLD_CALL, 4), (LeadSource.COLD_EMAIL, 5), (LeadSource.PAID_ADS, 6),
    (LeadSource.SOCIAL, 4), (LeadSource.IMPORT, 3), (LeadSource.OTHER, 1),
)
#: Sources that give details in exchange for content: such leads enter as IQL.
IQL_SOURCES = frozenset({LeadSource.CONTENT_DOWNLOAD, LeadSource.NEWSLETTER, LeadSource.WEBINAR})
SOURCE_CAMPAIGN_KINDS = {
    LeadSource.TRADE_SHOW: (CampaignKind.TRADE_SHOW,),
    LeadSource.BUSINESS_CARD: (CampaignKind.TRADE_SHOW, CampaignKind.TRADE_SHOW, CampaignKind.EVENT),
    LeadSource.WEBINAR: (CampaignKind.WEBINAR,), LeadSource.CONTENT_DOWNLOAD: (CampaignKind.CONTENT,),
    LeadSource.NEWSLETTER: (CampaignKind.EMAIL,), LeadSource.PAID_ADS: (CampaignKind.PAID_ADS,),
    LeadSource.SOCIAL: (CampaignKind.SOCIAL,), LeadSource.WEB_FORM: (CampaignKind.SEO, CampaignKind.PAID_ADS),
    LeadSource.COLD_EMAIL: (CampaignKind.COLD_OUTREACH,), LeadSource.COLD_CALL: (CampaignKind.COLD_OUTREACH,),
}
#: Probability that a contact of this stage has an owner (marketing keeps most raw leads).
P_OWNED = {L: 0.05, I: 0.05, M: 0.35, S: 0.9, OPP: 1.0, CUST: 1.0, NUR: 0.55, DQ: 0.4}
#: Raw leads a rep collected at a booth are the rep's own.
P_OWNED_BOOTH = 0.3

NURTURE_REASONS = (
    "BANT: no budget before the next fiscal year.", "Timing: asked us to call back in Q3.",
    "Contract with a competitor runs until next year.", "Need is real but not urgent yet.",
    "Authority: the decision maker is not known yet.", "Not now: busy with the peak season.",
)
LOST_ON_TIMING = "Lost on timing: revisit in six months."
NO_BUYER_REASONS = ("Student.", "Job seeker (visited the careers page).")
DQ_REASONS = (
    ("Student.", 14), ("Job seeker (visited the careers page).", 16), ("Competitor.", 8),
    ("Spam or fake details.", 18), ("No fit: company too small.", 20), ("No fit: outside our territory.", 10),
    ("Consultant, not a buyer.", 8), ("Duplicate of an existing contact.", 6),
)
LOST_REASON_WEIGHTS = {"No budget": 15, "Chose a competitor": 25, "Price too high": 18, "Bad timing": 15,
                       "No decision / went dark": 15, "Not a fit": 7, "Lost to in-house solution": 5}
LOST_NOTES = ("Went with the incumbent vendor.", "Budget moved to a new ERP project.",
              "Champion left the company.", "Competitor offered 30% off the first year.",
              "No answer after the proposal despite five follow-ups.", "Chose to build it in-house.")
NEEDS = ("Picking errors cost them about 2% of revenue.", "40 trucks and no live tracking.",
         "Order entry is still done in spreadsheets.", "Consolidating three warehouses into one.",
         "Customers complain about late deliveries.", "Stock counts are wrong every month-end.",
         "Growing 25% a year; the current tool does not scale.", "Paper-based proof of delivery.")
TIMINGS = (("Within 3 months", 80), ("Before the peak season", 150), ("Next quarter", 100),
           ("This fiscal year", 200), ("Next fiscal year", 330))

PRODUCTS = {
    "Sales": ("WMS Standard – {n} users", "WMS Enterprise – {n} sites", "Fleet tracking – {n} vehicles",
              "Analytics add-on", "Implementation services", "Barcode scanning rollout", "Training package"),
    "Renewals": ("Annual renewal {year}", "Support plan renewal", "License expansion +{n} users"),
    "Partnerships": ("Reseller agreement {country}", "Referral partnership", "OEM integration"),
}
NEXT_STEPS = ("Send revised proposal", "Schedule a demo with IT", "Call to confirm the budget",
              "On-site visit at the warehouse", "Prepare the contract", "Answer pricing questions",
              "Meet the decision maker", "Reschedule the missed presentation", "Send references")

#: Rep style: speed to first touch (median minutes) and persistence (follow-up attempts).
#: (name, e-mail, role, team, territory locales with weight, median minutes, attempts)
TEAM_NAMES = ("Inside Sales", "Field Sales")
#: Inside Sales caps open leads per rep at 500 (the domain brief's team); Field Sales has no
#: cap, and its reps hold thousands at large scale: the lead-overload leak to show.
TEAM_CAPS = (500, None)
#: Lifecycle stages that count as a rep's open leads.
OPEN_LEAD_STAGES = frozenset({L, I, M, S})
PEOPLE = (
    ("Leila Karimi", "leila.karimi", Role.MANAGER, 0, {}, 0, 0),
    ("Markus Weber", "markus.weber", Role.MANAGER, 1, {}, 0, 0),
    ("Sara Ahmadi", "sara.ahmadi", Role.REP, 0, {"fa_IR": 0.7}, 12, 4),
    ("Reza Hosseini", "reza.hosseini", Role.REP, 0, {"fa_IR": 0.3}, 45, 3),
    ("Omar Al-Harbi", "omar.alharbi", Role.REP, 0, {"ar_SA": 1.0}, 30, 3),
    ("Anong Srisuk", "anong.srisuk", Role.REP, 0, {"th_TH": 1.0}, 8, 5),
    ("Elif Demir", "elif.demir", Role.REP, 0, {"tr_TR": 0.15}, 4, 6),
    ("Daniel Brooks", "daniel.brooks", Role.REP, 1, {"en_US": 0.9, "fr_FR": 0.0}, 240, 1),
    ("Julia Schneider", "julia.schneider", Role.REP, 1, {"de_DE": 0.9}, 600, 1),
    ("Mehmet Yılmaz", "mehmet.yilmaz", Role.REP, 1, {"tr_TR": 0.85}, 1440, 1),
    ("Lucas Martin", "lucas.martin", Role.REP, 1, {"fr_FR": 1.0, "en_US": 0.1}, 20, 3),
    ("Carmen García", "carmen.garcia", Role.REP, 1, {"es_ES": 1.0, "de_DE": 0.1}, 15, 4),
)
USER_DOMAIN = "leaddesk-demo.example"

#: (name, city, country, months ago, cost in EUR, days) of the trade shows; each has two editions.
TRADE_SHOWS = (
    ("Hannover Messe", "Hannover", "DE", 7, 68_000, 5), ("LogiMAT", "Stuttgart", "DE", 8, 24_000, 3),
    ("VivaTech", "Paris", "FR", 5, 42_000, 4), ("SIL Barcelona", "Barcelona", "ES", 5, 21_000, 3),
    ("WIN EURASIA", "İstanbul", "TR", 5, 19_000, 4), ("Iran Industry Exhibition", "تهران", "IR", 1, 12_000, 4),
    ("LEAP", "الرياض", "SA", 9, 55_000, 4), ("Intermach", "กรุงเทพมหานคร", "TH", 6, 16_000, 4),
    ("MODEX", "Atlanta", "US", 8, 48_000, 4), ("GITEX Global", "Dubai", "AE", 1, 75_000, 5),
)
#: (name, kind, months ago it started, months it ran (0 = still running), cost in EUR, location)
OTHER_CAMPAIGNS = (
    ("Webinar: Answer web leads in 5 minutes", CampaignKind.WEBINAR, 3, 1, 1_800, None),
    ("Webinar: Lead scoring without a data team", CampaignKind.WEBINAR, 10, 1, 1_500, None),
    ("Webinar: Warehouse KPIs that matter", CampaignKind.WEBINAR, 15, 1, 2_200, None),
    ("E-book: The B2B lead management playbook", CampaignKind.CONTENT, 14, 0, 6_500, None),
    ("White paper: MQL vs SQL, one shared definition", CampaignKind.CONTENT, 6, 0, 3_900, None),
    ("Monthly newsletter", CampaignKind.EMAIL, 24, 0, 4_800, None),
    ("Nurture track: not-now leads", CampaignKind.EMAIL, 12, 0, 2_400, None),
    ("Google Ads – WMS search", CampaignKind.PAID_ADS, 18, 0, 63_000, None),
    ("LinkedIn Ads – Operations leaders", CampaignKind.PAID_ADS, 9, 4, 28_000, None),
    ("Organic search", CampaignKind.SEO, 24, 0, 12_000, None),
    ("LinkedIn company page", CampaignKind.SOCIAL, 24, 0, 2_000, None),
    ("Cold outreach – DACH logistics", CampaignKind.COLD_OUTREACH, 4, 2, 3_000, "DACH"),
    ("Cold outreach – GCC distributors", CampaignKind.COLD_OUTREACH, 7, 2, 3_500, "GCC"),
    ("Customer day İstanbul", CampaignKind.EVENT, 3, 0.05, 9_500, "İstanbul"),
    ("Partner roadshow Riyadh", CampaignKind.EVENT, 2, 0.1, 14_000, "الرياض"),
)
PERSONAS = (
    ("Operations Olivia", "Runs warehouses or a fleet and is measured on on-time delivery and cost per order.",
     ["Warehouse Manager", "Logistics Manager", "Head of Logistics", "Operations Manager", "Director of Operations"],
     ["manager", "director"], ["Operations", "Logistics"], [IND_LOG, IND_WHOLE, IND_RETAIL, IND_FOOD], 50, 2000, False),
    ("IT Ian", "Owns the systems landscape; cares about integrations, security and a quiet on-call phone.",
     ["IT Manager", "Head of IT", "Director of IT", "Chief Information Officer"],
     ["manager", "director", "c_level"], ["IT"], [], 100, None, False),
    ("Owner Omid", "Founder or general manager of a growing SME who decides alone and fast.",
     ["Owner", "Founder", "Founder & CEO", "Managing Director", "General Manager"],
     ["owner", "c_level"], [], [IND_WHOLE, IND_RETAIL, IND_FOOD, IND_MFG], 5, 200, False),
    ("Procurement Pınar", "Buys on value and compares three offers; needs references and a clear TCO.",
     ["Purchasing Manager", "Procurement Manager", "Head of Procurement"],
     ["manager", "director"], ["Procurement"], [], 200, None, False),
    ("Students and job seekers", "Closed-lost profile: downloads everything, never buys. Avoid.",
     [], ["entry", "unknown"], [], [], None, None, True),
)
PERSONA_OF_DEPARTMENT = {"Operations": 0, "Logistics": 0, "IT": 1, "Procurement": 3}
INDICATORS = (
    ("Runs more than 3 warehouses", "Multi-site operations feel the pain of inconsistent stock first."),
    ("Competitor contract ends this year", "Uses a competitor whose contract is up for renewal within 12 months."),
    ("Fleet of 20+ vehicles", "Large enough to need live tracking and route planning."),
    ("Headcount growing > 20% a year", "Growth breaks spreadsheets and manual processes."),
)

ENGAGEMENT_BY_STAGE = {  # (min, max) events per contact
    L: (0, 1), I: (0, 1), M: (1, 2), S: (1, 2), OPP: (1, 2), CUST: (0, 1), NUR: (0, 1), DQ: (0, 1),
}
INTEREST_KINDS = (
    (EngagementKind.SITE_VISIT, 30), (EngagementKind.PRICING_PAGE_VISIT, 12), (EngagementKind.EMAIL_OPEN, 20),
    (EngagementKind.EMAIL_REPLY, 6), (EngagementKind.DOWNLOAD, 10), (EngagementKind.FORM_FILL, 6),
    (EngagementKind.TRIAL_SIGNUP, 4), (EngagementKind.AD_CLICK, 6), (EngagementKind.WEBINAR, 3),
    (EngagementKind.EVENT_ATTENDANCE, 3),
)
ENGAGEMENT_DETAILS = {
    EngagementKind.SITE_VISIT: ("/", "/product/wms", "/product/fleet", "/customers", "/blog/lead-scoring"),
    EngagementKind.PRICING_PAGE_VISIT: ("/pricing",),
    EngagementKind.CAREERS_PAGE_VISIT: ("/careers", "/careers/sales-engineer"),
    EngagementKind.DOWNLOAD: ("E-book: The B2B lead management playbook", "Trial: WMS sandbox", "Case study: 3PL"),
    EngagementKind.FORM_FILL: ("Contact us", "Request a demo", "Ask for a quote"),
    EngagementKind.TRIAL_SIGNUP: ("14-day trial",),
}


# =========================================================================================
# Small helpers
# =========================================================================================

class _Pick:
    """Fast weighted choice with a given Random (bisect over cumulative weights)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs: Iterable[tuple[object, float]]):
        pairs = [(item, w) for item, w in pairs if w > 0]
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _ascii(text: str, locale: str = "") -> str:
    """An e-mail-safe slug of a (Latin-script) name: "Müller" -> "mueller" in German."""
    text = text.lower()
    if locale == "de_DE":
        text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^a-z0-9]", "", unidecode(text).lower())


def _slug_company(name: str) -> str:
    words = [w for w in re.split(r"[^a-z0-9]+", unidecode(name).lower()) if w and w not in _LEGAL_WORDS]
    return "-".join(words[:2]) or "company"


_DIGITS = {loc.digits: str.maketrans("0123456789", loc.digits) for loc in LOCALES}


def _group(digits: str) -> str:
    return digits if len(digits) <= 4 else f"{digits[:-4]} {digits[-4:]}"


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


# =========================================================================================
# The generator
# =========================================================================================

@dataclass(slots=True)
class _Acct:
    id: uuid.UUID
    loc: _Locale
    name: str
    domain: str
    industry: str
    employees: int
    city: tuple
    owner: uuid.UUID | None
    size: str


@dataclass(slots=True)
class _Person:
    id: uuid.UUID
    loc: _Locale
    acct: _Acct | None
    stage: LifecycleStage
    source: LeadSource
    campaign: "_Camp | None"
    captured: float
    owner: "_Rep | None" = None
    assigned: float | None = None
    first_touch: float | None = None
    given: str = ""
    family: str = ""
    seniority: Seniority = Seniority.UNKNOWN
    department: str | None = None
    title: str | None = None
    opps: list = field(default_factory=list)   # opportunity plans this person is primary on
    path: list = field(default_factory=list)   # [(from, to, ts, reason)]
    reason: str | None = None
    latin: tuple = ()                          # (given, family) transliterated, for e-mails


@dataclass(slots=True)
class _Camp:
    id: uuid.UUID
    kind: CampaignKind
    name: str
    start: float
    end: float
    country: str | None


@dataclass(slots=True)
class _Rep:
    id: uuid.UUID
    name: str
    minutes: int
    attempts: int
    cap: int | None = None       # open leads this rep takes before new ones stay in the pool
    open_leads: int = 0


@dataclass(slots=True)
class _Opp:
    id: uuid.UUID
    pipeline: "_Pipe"
    acct: _Acct
    contact: _Person | None
    status: OpportunityStatus
    owner: uuid.UUID | None
    stage_index: int = 0
    created: float = 0.0
    closed: float | None = None
    stage_entered: float = 0.0
    last_touch: float | None = None
    next_step: str | None = None
    next_due: float | None = None
    stalled: bool = False
    amount: Decimal = Decimal(0)
    name: str = ""
    history: list = field(default_factory=list)   # [(from_stage_idx, to_stage_idx, from_status, to_status, ts)]
    rank: float = 0.0


@dataclass(slots=True)
class _Pipe:
    id: uuid.UUID
    name: str
    currency: str
    stages: list  # [(id, name, probability, rotting_days)]


class _Generator:
    def __init__(self, db: Database, scale: Scale, seed: int, now: dt.datetime,
                 progress: Progress | None, cancel: threading.Event | None):
        self.db, self.scale, self.seed = db, scale, seed
        self.now = now.astimezone(dt.timezone.utc)
        self.now_ts = self.now.timestamp()
        self.rng = random.Random(seed)
        self.progress, self.cancel = progress, cancel
        self.counts: dict[str, int] = {}
        self.actor = db.write.actor_id

    # ---- time helpers ----------------------------------------------------------------------
    def at(self, ts: float, _td=dt.timedelta) -> dt.datetime:
        return self.now + _td(seconds=int(ts - self.now_ts))

    def day(self, ts: float) -> dt.date:
        return self.at(ts).date()

    def past(self, max_days: float, skew: float = 1.0) -> float:
        """A moment in the last ``max_days`` (skew > 1 favours recent ones)."""
        return self.now_ts - max_days * DAY * (self.rng.random() ** skew)

    def between(self, a: float, b: float) -> float:
        return a + (b - a) * self.rng.random() if b > a else a

    # ---- writing ---------------------------------------------------------------------------
    def insert(self, s, step: str, model: type, rows: Iterable[dict], total: int) -> int:
        done = 0
        it = iter(rows)
        if self.progress:
            self.progress(step, 0, total)
        while True:
            chunk = list(itertools.islice(it, CHUNK))
            if not chunk:
                break
            if self.cancel is not None and self.cancel.is_set():
                raise DemoCancelled()
            # A snapshot: stamped rows, not changes queued for sync (see journal.bulk_insert).
            done += journal.bulk_insert(s, model, chunk, journal=False)
            if self.progress:
                self.progress(step, done, max(total, done))
        self.counts[step] = self.counts.get(step, 0) + done
        return done

    # ---- fixed records: team, pipelines, campaigns, personas ---------------------------------
    def fixed_records(self, s) -> None:
        def missing(model, ids):
            have = set(s.scalars(select(model.id).where(model.id.in_(list(ids))))) if ids else set()
            return [i for i in ids if i not in have]

        team_ids = [uuid.uuid5(DEMO_NAMESPACE, f"team/{n}") for n in TEAM_NAMES]
        new = set(missing(Team, team_ids))
        self.insert(s, "teams", Team, [dict(id=i, name=n, lead_cap=cap)
                                       for i, n, cap in zip(team_ids, TEAM_NAMES, TEAM_CAPS) if i in new], len(new))
        user_rows, self.reps, self.managers = [], [], []
        self.territory: dict[str, _Pick] = {}
        terr: dict[str, list] = {}
        for name, local, role, team, territory, minutes, attempts in PEOPLE:
            shown, norm = v.normalize_email(f"{local}@{USER_DOMAIN}")
            uid = uuid.uuid5(DEMO_NAMESPACE, f"user/{norm}")
            user_rows.append(dict(id=uid, name=name, email=shown, email_normalized=norm, role=role, active=True,
                                  team_id=team_ids[team]))
            if role is Role.REP:
                cap = TEAM_CAPS[team]
                rep = _Rep(uid, name, minutes, attempts, cap - self.rng.randint(0, 25) if cap else None)
                self.reps.append(rep)
                for code, w in territory.items():
                    terr.setdefault(code, []).append((rep, w))
            else:
                self.managers.append(uid)
        new = set(missing(User, [r["id"] for r in user_rows]))
        self.insert(s, "users", User, [r for r in user_rows if r["id"] in new], len(new))
        self.territory = {code: _Pick(pairs) for code, pairs in terr.items()}
        self.any_rep = _Pick((r, 1) for r in self.reps)

        # pipelines: the seeded default plus Renewals and Partnerships
        default = s.scalars(select(Pipeline).where(Pipeline.is_default.is_(True), Pipeline.deleted.is_(False))
                            .order_by(Pipeline.position)).first()
        self.currency = default.currency
        extra = (("Renewals", self.currency, (("Upcoming renewal", 60, 30), ("Renewal call", 70, 21),
                                              ("Quote sent", 80, 14), ("Awaiting signature", 90, 7))),
                 ("Partnerships", "USD", (("Initial contact", 10, 21), ("Partner assessment", 25, 21),
                                          ("Agreement draft", 50, 14), ("Legal review", 70, 10))))
        pipe_rows, stage_rows = [], []
        for pos, (name, cur, stages) in enumerate(extra, start=1):
            pid = uuid.uuid5(DEMO_NAMESPACE, f"pipeline/{name}")
            pipe_rows.append(dict(id=pid, name=name, position=pos, is_default=False, currency=cur))
            for spos, (sname, prob, rot) in enumerate(stages):
                stage_rows.append(dict(id=uuid.uuid5(DEMO_NAMESPACE, f"stage/{name}/{spos}"), pipeline_id=pid,
                                       name=sname, position=spos, probability=prob, rotting_days=rot))
        new = set(missing(Pipeline, [r["id"] for r in pipe_rows]))
        self.insert(s, "pipelines", Pipeline, [r for r in pipe_rows if r["id"] in new], len(new))
        new = set(missing(PipelineStage, [r["id"] for r in stage_rows]))
        self.insert(s, "pipeline_stages", PipelineStage, [r for r in stage_rows if r["id"] in new], len(new))
        self.pipes = []
        for p in s.scalars(select(Pipeline).where(Pipeline.deleted.is_(False)).order_by(Pipeline.position)):
            stages = [(st.id, st.name, st.probability, st.rotting_days or 14) for st in s.scalars(
                select(PipelineStage).where(PipelineStage.pipeline_id == p.id, PipelineStage.deleted.is_(False))
                .order_by(PipelineStage.position))]
            if stages:
                self.pipes.append(_Pipe(p.id, p.name, p.currency, stages))
        by_name = {p.name: p for p in self.pipes}
        self.sales = next((p for p in self.pipes if p.id == default.id), self.pipes[0])
        self.renewals = by_name.get("Renewals", self.sales)
        self.partners = by_name.get("Partnerships", self.sales)
        reasons = list(s.execute(select(LostReason.id, LostReason.name)
                                 .where(LostReason.deleted.is_(False), LostReason.active.is_(True))
                                 .order_by(LostReason.position)))
        self.lost_reason = _Pick((rid, LOST_REASON_WEIGHTS.get(name, 5)) for rid, name in reasons) if reasons else None

        # campaigns (dates relative to now; names carry the year of their edition)
        camp_rows, self.camps = [], []
        month = 30.44 * DAY
        for name, city, country, ago, cost, days in TRADE_SHOWS:
            for edition, back in enumerate((ago, ago + 12)):
                start = self.now_ts - back * month
                label = f"{name} {self.day(start).year}"
                self.camps.append(_Camp(uuid.uuid5(DEMO_NAMESPACE, f"campaign/{label}"), CampaignKind.TRADE_SHOW,
                                        label, start, start + (days - 1) * DAY, country))
                camp_rows.append((self.camps[-1], city, Decimal(cost + 1_000 * edition * (1 if ago % 2 else -1))))
        upcoming = self.now_ts + 5 * month
        label = f"Hannover Messe {self.day(upcoming).year}"
        camp_rows.append((_Camp(uuid.uuid5(DEMO_NAMESPACE, f"campaign/{label}"), CampaignKind.TRADE_SHOW, label,
                                upcoming, upcoming + 4 * DAY, "DE"), "Hannover", Decimal(71_000)))
        for name, kind, ago, months, cost, location in OTHER_CAMPAIGNS:
            start = self.now_ts - ago * month
            end = start + months * month if months else self.now_ts
            camp = _Camp(uuid.uuid5(DEMO_NAMESPACE, f"campaign/{name}"), kind, name, start, end, None)
            self.camps.append(camp)
            camp_rows.append((camp, location, Decimal(cost)))
        rows = [dict(id=c.id, name=c.name, kind=c.kind, starts_on=self.day(c.start),
                     ends_on=self.day(c.end) if c.end < self.now_ts or c.kind is CampaignKind.TRADE_SHOW else None,
                     location=loc, cost=cost, currency=self.currency,
                     notes="Booth, travel and badge scanners included." if c.kind is CampaignKind.TRADE_SHOW else None)
                for c, loc, cost in camp_rows]
        new = set(missing(Campaign, [r["id"] for r in rows]))
        self.insert(s, "campaigns", Campaign, [r for r in rows if r["id"] in new], len(new))
        self.camps_by_kind: dict[CampaignKind, list[_Camp]] = {}
        for c in self.camps:
            self.camps_by_kind.setdefault(c.kind, []).append(c)

        persona_rows = [dict(id=uuid.uuid5(DEMO_NAMESPACE, f"persona/{p[0]}"), name=p[0], description=p[1],
                             job_titles=p[2], seniorities=p[3], departments=p[4], industries=p[5],
                             company_size_min=p[6], company_size_max=p[7], avoid=p[8],
                             goals=None if p[8] else "Fewer errors, faster deliveries, a tool the team adopts.",
                             talking_points=None if p[8] else "Case study of a similar company; 30-day pilot.",
                             reviewed_at=self.at(self.now_ts - 40 * DAY))
                        for p in PERSONAS]
        new = set(missing(Persona, [r["id"] for r in persona_rows]))
        self.insert(s, "personas", Persona, [r for r in persona_rows if r["id"] in new], len(new))
        self.persona_ids = [r["id"] for r in persona_rows]
        ind_rows = [dict(id=uuid.uuid5(DEMO_NAMESPACE, f"indicator/{n}"), name=n, description=d, position=i)
                    for i, (n, d) in enumerate(INDICATORS)]
        new = set(missing(Indicator, [r["id"] for r in ind_rows]))
        self.insert(s, "indicators", Indicator, [r for r in ind_rows if r["id"] in new], len(new))

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

    # ---- contacts ------------------------------------------------------------------------------
    def plan_contacts(self) -> None:
        rng, n = self.rng, self.scale.contacts
        n_won = round(self.scale.opportunities * 0.12)
        counts = {stage: round(n * share) for stage, share in STAGE_SHARES}
        counts[CUST] = min(counts[CUST], n_won)
        counts[L] += n - sum(counts.values())
        stages = [stage for stage, c in counts.items() for _ in range(c)]
        rng.shuffle(stages)
        source_pick = _Pick(SOURCES)
        camp_pick = {k: [c for c in v_ if c.start <= self.now_ts] for k, v_ in self.camps_by_kind.items()}
        # give every account at least one contact, then bigger accounts more
        acct_order = list(self.accounts)
        rng.shuffle(acct_order)
        acct_iter = iter(acct_order)
        self.people: list[_Person] = []
        dq_pick = _Pick(DQ_REASONS)
        for stage in stages:
            loose_p = 0.0 if stage in (OPP, CUST) else (0.45 if stage is DQ else 0.2)
            acct = None
            if rng.random() >= loose_p:
                acct = next(acct_iter, None) or self.acct_pick(rng)
            loc = acct.loc if acct else self.loc_pick(rng)
            source = source_pick(rng)
            while stage is L and source in IQL_SOURCES:  # content leads enter as IQL
                source = source_pick(rng)
            camp = None
            kinds = SOURCE_CAMPAIGN_KINDS.get(source)
            if kinds and rng.random() < 0.85:
                kind = rng.choice(kinds)
                options = camp_pick.get(kind) or []
                if kind is CampaignKind.TRADE_SHOW:
                    local = [c for c in options if c.country == loc.country]
                    if local and rng.random() < 0.7:
                        options = local
                if options:
                    camp = rng.choice(options)
            if camp is not None:
                if camp.kind in (CampaignKind.TRADE_SHOW, CampaignKind.EVENT):
                    captured = self.between(camp.start, camp.end + DAY)
                    if source is LeadSource.BUSINESS_CARD:  # typed in after the show
                        captured += rng.uniform(0.5, 12) * DAY
                else:
                    captured = self.between(camp.start, min(camp.end, self.now_ts))
            else:
                captured = self.past(730, 1.4)
            captured = min(captured, self.now_ts - 3600)
            p = _Person(new_id(), loc, acct, stage, source, camp, captured)
            if stage is DQ:
                p.reason = dq_pick(rng)
            self.people.append(p)
        # names, titles and seniority (consistent with the company size)
        self.plan_identities()

    def plan_identities(self) -> None:
        rng = self.rng
        sen_pick = {size: _Pick(zip(SENIORITY_ORDER, w)) for size, w in SENIORITY_BY_SIZE.items()}
        dept_pick = _Pick(zip(DEPARTMENTS, DEPARTMENT_WEIGHTS))
        for p in self.people:
            pool = self.pools[p.loc.code]
            given = rng.choice(pool["male"] if rng.random() < 0.62 else pool["female"])
            family = rng.choice(pool["family"])
            p.given, p.family = given[0], family[0]
            p.title = None
            sen = sen_pick[p.acct.size if p.acct else "micro"](rng)
            if p.stage is DQ and p.reason in NO_BUYER_REASONS:
                sen = SU if rng.random() < 0.6 else SE
            if sen is SU:
                dept = None
            elif sen in (SO,) or (sen is SC and rng.random() < 0.5):
                dept = "Executive Management"
                p.title = rng.choice(EXECUTIVE_TITLES[SO if sen is SO else SC])
            else:
                dept = dept_pick(rng)
                p.title = rng.choice(TITLES[dept][sen])
            p.seniority, p.department = sen, dept
            p.latin = (given[1], family[1])

    def plan_owners_and_paths(self) -> None:
        """Owners, assignment and first-touch times, and each contact's lifecycle path."""
        rng = self.rng
        for p in self.people:
            po = P_OWNED[p.stage]
            if p.stage in (L, I) and p.source in (LeadSource.TRADE_SHOW, LeadSource.BUSINESS_CARD):
                po = P_OWNED_BOOTH
            if rng.random() < po:
                rep = None
                if p.acct and p.acct.owner and rng.random() < 0.8:
                    rep = next((r for r in self.reps if r.id == p.acct.owner), None)
                rep = rep or self.territory_rep(p.loc)
                if p.stage in OPEN_LEAD_STAGES:
                    if rep.cap is not None and rep.open_leads >= rep.cap:
                        continue  # the rep is at the cap: the lead waits in the marketing pool
                    rep.open_leads += 1
                p.owner = rep
                delay = (rng.uniform(0.5, 5) * DAY if p.source in (LeadSource.TRADE_SHOW, LeadSource.BUSINESS_CARD)
                         else rng.expovariate(1 / (3 * 3600)))
                p.assigned = min(p.captured + delay, self.now_ts - 60)
                touched = p.stage not in (L, I) or rng.random() < 0.7
                if touched:
                    minutes = rng.lognormvariate(0, 1.1) * p.owner.minutes
                    p.first_touch = min(p.assigned + 60 * minutes, self.now_ts - 30)

    def build_path(self, p: _Person) -> None:
        """The lifecycle history ending in the contact's stage (from, to, ts, reason)."""
        rng = self.rng
        entry = I if p.source in IQL_SOURCES else L
        steps: list[tuple[LifecycleStage, str | None]] = [(entry, None)]
        st = p.stage
        had_opp = bool(p.opps)
        if st is I and entry is L:
            steps.append((I, None))
        elif st in (M, S, OPP, CUST) or (st is NUR) or (st is DQ and rng.random() < 0.3):
            if st is DQ:
                steps.append((M, None))
            else:
                steps.append((M, None))
                if st in (S, OPP, CUST) or (st is NUR and (had_opp or rng.random() < 0.4)):
                    steps.append((S, "BANT complete and positive."))
                if st in (OPP, CUST) or (st is NUR and had_opp):
                    steps.append((OPP, "Opportunity created."))
                if st is CUST:
                    won = next((o for o in p.opps if o.status is WON), None)
                    steps.append((CUST, f"Opportunity '{won.name}' won." if won else "Opportunity won."))
        if st is NUR:
            steps.append((NUR, LOST_ON_TIMING if had_opp else rng.choice(NURTURE_REASONS)))
            p.reason = steps[-1][1]
        elif st is DQ:
            steps.append((DQ, p.reason))
        # times: spread the steps between capture and now (customers at the won date)
        start = p.captured
        end_cap = self.now_ts - 60
        won_at = min((o.closed for o in p.opps if o.status is WON), default=None)
        opp_at = min((o.created for o in p.opps), default=None)
        ts = start
        prev = None
        path = []
        for stage, reason in steps:
            if prev is not None:
                if stage is CUST and won_at:
                    ts = max(ts + 60, won_at)
                elif stage is OPP and opp_at:
                    ts = max(ts + 60, opp_at)
                else:
                    ts = ts + rng.uniform(0.2, 1.0) * max(3600.0, (end_cap - ts) * rng.uniform(0.05, 0.5))
                ts = min(ts, end_cap)
            path.append((prev, stage, ts, reason))
            prev = stage
        p.path = path

    # ---- opportunities -------------------------------------------------------------------------
    def plan_opportunities(self) -> None:
        rng, n = self.rng, self.scale.opportunities
        n_won, n_lost = round(n * 0.12), round(n * 0.13)
        statuses = [WON] * n_won + [LOST] * n_lost + [OPEN] * (n - n_won - n_lost)
        customers = [p for p in self.people if p.stage is CUST]
        in_opp = [p for p in self.people if p.stage is OPP]
        nurture = [p for p in self.people if p.stage is NUR and p.acct is not None]
        rng.shuffle(nurture)
        nurture = nurture[: max(1, n_lost // 3)]
        pipe_pick = _Pick(((self.sales, 70), (self.renewals, 18), (self.partners, 12)))
        self.opps: list[_Opp] = []
        cust_iter, opp_iter, nur_iter = iter(customers), iter(in_opp), iter(nurture)
        for status in statuses:
            pipe = pipe_pick(rng)
            contact: _Person | None = None
            if status is WON:
                contact = next(cust_iter, None) or (rng.choice(customers) if customers else None)
                if pipe is self.partners:
                    pipe = self.sales
            elif status is OPEN:
                if pipe is self.renewals and customers:
                    contact = rng.choice(customers)
                else:
                    contact = next(opp_iter, None)
                    if contact is None:
                        r = rng.random()
                        contact = (rng.choice(in_opp) if r < 0.65 and in_opp else
                                   rng.choice(customers) if r < 0.75 and customers else None)
            else:
                contact = next(nur_iter, None)
                if contact is None and rng.random() < 0.5 and in_opp:
                    contact = rng.choice(in_opp)
            if contact is not None and contact.acct is None:
                contact = None
            acct = contact.acct if contact else self.acct_pick(rng)
            owner = (contact.owner.id if contact and contact.owner else acct.owner
                     or self.territory_rep(acct.loc).id)
            o = _Opp(new_id(), pipe, acct, contact, status, owner)
            self.opps.append(o)
            if contact is not None:
                contact.opps.append(o)
            self.plan_opportunity(o)
        # board order: inside each open column, larger deals first
        ranks: dict = {}
        for o in sorted((o for o in self.opps if o.status is OPEN), key=lambda o: -o.amount):
            key = o.pipeline.stages[o.stage_index][0]
            ranks[key] = ranks.get(key, 0) + 1
            o.rank = float(ranks[key])

    def plan_opportunity(self, o: _Opp) -> None:
        rng, stages = self.rng, o.pipeline.stages
        last = len(stages) - 1
        if o.status is OPEN:
            o.stage_index = min(last, int(rng.expovariate(1 / 1.3)))
            age = rng.uniform(3, 240) * DAY
            o.created = self.now_ts - age
            rot = stages[o.stage_index][3]
            o.stalled = rng.random() < 0.18
            if o.stalled:
                idle = (rot + rng.uniform(3, 60)) * DAY
                o.created = min(o.created, self.now_ts - idle - DAY)
                o.stage_entered = self.between(o.created, self.now_ts - idle) if o.stage_index else o.created
                o.last_touch = min(self.now_ts - idle, o.stage_entered + rng.uniform(0, 2) * DAY)
            else:
                o.stage_entered = (self.between(max(o.created, self.now_ts - rot * DAY * 1.5), self.now_ts - 3600)
                                   if o.stage_index else o.created)
                o.last_touch = self.between(max(o.stage_entered, self.now_ts - (rot - 1) * DAY), self.now_ts - 600)
                if rng.random() < 0.85:
                    o.next_step = rng.choice(NEXT_STEPS)
                    o.next_due = self.now_ts + rng.uniform(-5, 14) * DAY
        else:
            o.closed = self.past(540, 1.2)
            o.created = o.closed - rng.uniform(14, 200) * DAY
            o.stage_index = last if o.status is WON and rng.random() < 0.7 else rng.randint(0, last)
            o.stage_entered = self.between(o.created, o.closed) if o.stage_index else o.created
            o.last_touch = o.closed
        if o.contact is not None:
            o.created = max(o.created, o.contact.captured + 3600)
            o.stage_entered = max(o.stage_entered, o.created)
            if o.last_touch is not None:
                o.last_touch = max(o.last_touch, o.stage_entered)
            if o.closed is not None:
                o.closed = max(o.closed, o.last_touch or o.created)
        # amount in the pipeline's currency (whole tens; a few with cents)
        median = {"Renewals": 9_000, "Partnerships": 40_000}.get(o.pipeline.name, 18_000)
        amount = Decimal(int(median * rng.lognormvariate(0, 0.8) / 10) * 10)
        if rng.random() < 0.05:
            amount += Decimal(rng.choice(("0.50", "0.99", "0.25")))
        o.amount = amount
        tpl = rng.choice(PRODUCTS.get(o.pipeline.name, PRODUCTS["Sales"]))
        product = tpl.format(n=rng.choice((5, 10, 25, 40, 60, 120)), year=self.day(o.created).year + 1,
                             country=o.acct.loc.country)
        short = o.acct.name if len(o.acct.name) <= 60 else o.acct.name[:57] + "..."
        o.name = f"{short} – {product}"
        # history: create in the first stage, move forward, close
        ts = o.created
        o.history = [(None, 0, None, OPEN, ts)]
        for k in range(1, o.stage_index + 1):
            ts = o.stage_entered if k == o.stage_index else self.between(ts, o.stage_entered)
            o.history.append((k - 1, k, OPEN, OPEN, ts))
        if o.closed is not None:
            o.history.append((o.stage_index, o.stage_index, OPEN, o.status, o.closed))

    # ---- rows ----------------------------------------------------------------------------------
    def contact_rows(self) -> Iterator[dict]:
        rng = self.rng
        score = {L: (0, 40, 0, 20), I: (0, 45, 10, 35), M: (30, 80, 30, 70), S: (50, 95, 50, 95),
                 OPP: (50, 95, 40, 90), CUST: (50, 95, 20, 80), NUR: (35, 80, 10, 40), DQ: (-40, 10, -30, 20)}
        for p in self.people:
            loc, acct = p.loc, p.acct
            city = acct.city if acct and rng.random() < 0.9 else self.pools[loc.code]["city"](rng)
            street = postal = None
            if rng.random() < 0.45:
                nstr = str(rng.randint(1, 220)).translate(_DIGITS[loc.digits])
                street = loc.street_format.format(street=rng.choice(self.pools[loc.code]["streets"]), n=nstr,
                                                  m=rng.randint(1, 30))
                k = loc.postal_len - len(city[3])
                tail = str(rng.randrange(10 ** (k - 1), 10 ** k))
                postal = city[3] + tail
                if loc.country == "IR":
                    postal = f"{postal[:5]}-{postal[5:]}"
            lo, hi, ilo, ihi = score[p.stage]
            persona = None
            if p.stage is DQ and p.seniority in (SU, SE) and p.reason in NO_BUYER_REASONS:
                persona = self.persona_ids[4]
            elif p.department in PERSONA_OF_DEPARTMENT and p.seniority in (SM, SD, SC) and rng.random() < 0.6:
                persona = self.persona_ids[PERSONA_OF_DEPARTMENT[p.department]]
            elif p.seniority is SO and rng.random() < 0.6:
                persona = self.persona_ids[2]
            name = display_name(p.given, p.family)
            last = p.path[-1]
            yield dict(
                id=p.id, given_name=p.given, family_name=p.family, display_name=name, name_key=v.sort_key(name),
                job_title=p.title, department=p.department, seniority=p.seniority,
                account_id=acct.id if acct else None, street=street, city=city[0], region=city[1],
                postal_code=postal, country=loc.country, owner_id=p.owner.id if p.owner else None,
                lifecycle_stage=p.stage, lifecycle_changed_at=self.at(last[2]), source=p.source,
                campaign_id=p.campaign.id if p.campaign else None, captured_at=self.at(p.captured),
                assigned_at=self.at(p.assigned) if p.assigned else None,
                first_touch_at=self.at(p.first_touch) if p.first_touch else None,
                stage_reason=p.reason if p.stage in (NUR, DQ) else None, persona_id=persona,
                fit_score=rng.randint(lo, hi), interest_score=rng.randint(ilo, ihi),
                notes="Met at the booth; wants a call after the show." if p.source is LeadSource.BUSINESS_CARD
                and rng.random() < 0.2 else None,
                created_at=self.at(p.captured),
            )

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

    def lifecycle_rows(self) -> Iterator[dict]:
        for p in self.people:
            by = p.owner.id if p.owner else None
            for frm, to, ts, reason in p.path:
                when = self.at(ts)
                yield dict(contact_id=p.id, from_stage=frm, to_stage=to, at=when, reason=reason,
                           by_user_id=by if frm is not None else self.actor, created_at=when)

    def engagement_rows(self) -> Iterator[dict]:
        rng = self.rng
        kind_pick = _Pick(INTEREST_KINDS)
        for p in self.people:
            lo, hi = ENGAGEMENT_BY_STAGE[p.stage]
            k = rng.randint(lo, hi)
            if p.stage is L and rng.random() < 0.6:
                k = 0
            for j in range(k):
                if j == 0 and p.source in IQL_SOURCES:
                    kind = {LeadSource.NEWSLETTER: EngagementKind.NEWSLETTER_SIGNUP,
                            LeadSource.WEBINAR: EngagementKind.WEBINAR}.get(p.source, EngagementKind.DOWNLOAD)
                    ts = p.captured
                elif p.stage is DQ and p.reason and p.reason.startswith("Job seeker"):
                    kind, ts = EngagementKind.CAREERS_PAGE_VISIT, self.between(p.captured, self.now_ts)
                else:
                    kind, ts = kind_pick(rng), self.between(p.captured, self.now_ts)
                details = ENGAGEMENT_DETAILS.get(kind)
                yield dict(contact_id=p.id, kind=kind, occurred_at=self.at(ts),
                           detail=rng.choice(details) if details else None,
                           campaign_id=p.campaign.id if p.campaign and j == 0 else None, created_at=self.at(ts))

    def bant_rows(self) -> Iterator[dict]:
        rng = self.rng
        for p in self.people:
            passed_sql = any(to is S for _, to, _, _ in p.path)
            if not passed_sql or rng.random() > (0.6 if p.stage is S else 0.5):
                continue
            sql_ts = next(ts for _, to, ts, _ in p.path if to is S)
            positive = p.stage in (S, OPP, CUST) or (p.stage is NUR and bool(p.opps))
            result = BantResult.POSITIVE if positive else rng.choice((BantResult.NEGATIVE, BantResult.INCOMPLETE))
            decides = p.seniority in (SD, SV, SC, SO)
            timing, days = rng.choice(TIMINGS)
            budget = Decimal(int(18_000 * rng.lognormvariate(0, 0.7) / 100) * 100)
            yield dict(
                contact_id=p.id, opportunity_id=p.opps[0].id if p.opps else None,
                budget_amount=budget if result is not BantResult.INCOMPLETE or rng.random() < 0.5 else None,
                budget_currency=self.currency, budget_confirmed=positive and rng.random() < 0.7,
                authority=(Authority.DECISION_MAKER if decides else
                           Authority.INFLUENCER if p.seniority in (SM, SS) else Authority.NO_AUTHORITY),
                authority_note=None if decides else "Decision with the managing director.",
                need=rng.choice(NEEDS), timing=timing if positive else rng.choice(NURTURE_REASONS),
                timing_date=self.day(sql_ts + days * DAY), result=result, assessed_at=self.at(sql_ts),
                created_at=self.at(sql_ts),
            )

    def opportunity_rows(self) -> Iterator[dict]:
        rng = self.rng
        lost = self.lost_reason
        for o in self.opps:
            stage = o.pipeline.stages[o.stage_index]
            if o.status is OPEN:
                close = self.now_ts + (rng.uniform(-25, -1) if rng.random() < 0.08 else rng.uniform(7, 180)) * DAY
            else:
                close = o.closed + rng.uniform(-10, 10) * DAY
            prob = None
            if o.status is OPEN and rng.random() < 0.15:
                prob = max(5, min(95, stage[2] + rng.choice((-15, -10, 10, 15))))
            yield dict(
                id=o.id, name=o.name, account_id=o.acct.id, primary_contact_id=o.contact.id if o.contact else None,
                pipeline_id=o.pipeline.id, stage_id=stage[0], amount=o.amount, currency=o.pipeline.currency,
                probability=prob, expected_close_date=self.day(close), owner_id=o.owner, status=o.status,
                lost_reason_id=lost(rng) if o.status is LOST and lost else None,
                lost_note=rng.choice(LOST_NOTES) if o.status is LOST and rng.random() < 0.4 else None,
                closed_at=self.at(o.closed) if o.closed else None, stage_entered_at=self.at(o.stage_entered),
                last_touch_at=self.at(o.last_touch) if o.last_touch else None, next_step=o.next_step,
                next_step_due=self.day(o.next_due) if o.next_due else None,
                board_rank=o.rank,
                campaign_id=o.contact.campaign.id if o.contact and o.contact.campaign else None,
                created_at=self.at(o.created),
            )

    def opportunity_event_rows(self) -> Iterator[dict]:
        for o in self.opps:
            stages = o.pipeline.stages
            for frm, to, from_status, to_status, ts in o.history:
                when = self.at(ts)
                yield dict(opportunity_id=o.id, from_stage_id=stages[frm][0] if frm is not None else None,
                           to_stage_id=stages[to][0], from_status=from_status, to_status=to_status,
                           amount=o.amount, at=when, by_user_id=o.owner, created_at=when)

    # ---- activities ----------------------------------------------------------------------------
    def plan_activities(self) -> list[tuple]:
        """Exactly ``scale.activities`` activities: first touches and follow-ups of leads (speed
        and persistence per rep), the life of each opportunity (demos, no-shows, next steps),
        then older history on contacts and accounts."""
        rng, now = self.rng, self.now_ts
        out: list[tuple] = []
        add = out.append
        C, E, MT, T, N = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.TASK,
                          ActivityKind.NOTE)
        DONE, NOANS, VM = ActivityOutcome.COMPLETED, ActivityOutcome.NO_ANSWER, ActivityOutcome.LEFT_VOICEMAIL
        call_outcome = _Pick(((DONE, 45), (NOANS, 35), (VM, 20)))
        # (kind, subject, body, due, done, minutes, outcome, contact, opp, account, owner, created)
        for o in self.opps:
            c = o.contact
            cid, aid, own = (c.id if c else None), o.acct.id, o.owner
            add((C, "Discovery call", None, o.created, o.created, rng.randint(15, 45), DONE, cid, o.id, aid, own,
                 o.created - DAY))
            end = o.closed or o.last_touch or now
            if o.stage_index >= 1 or o.closed:
                demo = self.between(o.created, end)
                r = rng.random()
                if r < 0.12:
                    add((MT, "Product demo", "Prospect did not join the call.", demo, demo, 0,
                         ActivityOutcome.NO_SHOW, cid, o.id, aid, own, demo - 3 * DAY))
                    due = demo + DAY
                    done = due + rng.uniform(0, 2) * DAY if rng.random() < 0.6 and due + 2 * DAY < now else None
                    add((T, "Reach out to reschedule the missed demo", None, due, done, None,
                         DONE if done else None, cid, o.id, aid, own, demo))
                else:
                    add((MT, rng.choice(("Product demo", "Presentation to the buying committee", "On-site visit")),
                         None, demo, demo, rng.choice((30, 45, 60, 90)),
                         DONE if r > 0.2 else ActivityOutcome.RESCHEDULED, cid, o.id, aid, own, demo - 5 * DAY))
            if o.last_touch and o.last_touch > o.created + 60:
                kind = rng.choice((C, E, MT))
                add((kind, {C: "Follow-up call", E: "Sent revised proposal", MT: "Negotiation meeting"}[kind], None,
                     o.last_touch if kind is not E else None, o.last_touch,
                     rng.randint(10, 60) if kind is not E else None,
                     DONE, cid, o.id, aid, own, o.last_touch - DAY))
            if o.status is OPEN and o.next_step:
                kind = MT if "demo" in o.next_step.lower() or "visit" in o.next_step.lower() else (
                    C if o.next_step.startswith("Call") else T)
                add((kind, o.next_step, None, o.next_due, None, None, None, cid, o.id, aid, own,
                     min(now - 60, o.last_touch or now)))
            if o.closed:
                add((N, "Contract signed" if o.status is WON else "Closed lost", None, None, o.closed, None, None,
                     cid, o.id, aid, own, o.closed))
        for p in self.people:
            if p.first_touch is None:
                continue
            own, cid, aid = p.owner.id, p.id, p.acct.id if p.acct else None
            t = p.first_touch
            if rng.random() < 0.65:
                add((C, "Intro call", None, t, t, rng.randint(2, 20), call_outcome(rng), cid, None, aid, own, t))
            else:
                add((E, "Thanks for your interest", None, None, t, None, DONE, cid, None, aid, own, t))
            if p.source in (LeadSource.TRADE_SHOW, LeadSource.BUSINESS_CARD) and rng.random() < 0.3:
                add((N, f"Met at {p.campaign.name}" if p.campaign else "Business card", None, None, p.captured,
                     None, None, cid, None, aid, own, p.captured))
            attempts = min(8, int(rng.expovariate(1 / max(0.3, p.owner.attempts * 0.6))))
            for k in range(attempts):
                t += rng.uniform(0.3, 1.8) * DAY
                if t >= now:
                    add((C, "Follow-up call", None, t, None, None, None, cid, None, aid, own, now - 3600))
                    break
                add((C, "Follow-up call", None, t, t, rng.randint(1, 15), call_outcome(rng), cid, None, aid, own, t))
        budget = self.scale.activities
        if len(out) > budget:
            rng.shuffle(out)
            del out[budget:]
        owned = [p for p in self.people if p.owner is not None]
        subjects = ((C, "Check-in call"), (E, "Sent case study"), (E, "Sent brochure"),
                    (E, "Answered pricing question"),
                    (N, "Prefers WhatsApp for quick questions"), (N, "Budget approved for next quarter"),
                    (T, "Update the account plan"), (MT, "Coffee meeting"), (C, "Qualification call (BANT)"))
        while len(out) < budget and owned:
            p = rng.choice(owned)
            kind, subject = rng.choice(subjects)
            t = self.between(p.captured, now + 20 * DAY)
            if t > now:  # scheduled, not done yet
                add((kind if kind is not N else T, subject, None, t, None, None, None, p.id, None,
                     p.acct.id if p.acct else None, p.owner.id, now - rng.uniform(0, 5) * DAY))
                continue
            overdue = kind is T and rng.random() < 0.35
            add((kind, subject, None, t if kind in (C, MT, T) else None, None if overdue else t,
                 rng.randint(5, 60) if kind in (C, MT) else None,
                 None if overdue or kind is N else (call_outcome(rng) if kind is C else DONE),
                 p.id, None, p.acct.id if p.acct else None, p.owner.id, t - rng.uniform(0, 3) * DAY))
        return out

    def activity_rows(self, acts: list[tuple]) -> Iterator[dict]:
        at = self.at
        for kind, subject, body, due, done, minutes, outcome, cid, oid, aid, own, created in acts:
            yield dict(kind=kind, subject=subject, body=body, due_at=at(due) if due is not None else None,
                       done_at=at(done) if done is not None else None, duration_minutes=minutes, outcome=outcome,
                       contact_id=cid, opportunity_id=oid, account_id=aid, owner_id=own,
                       created_at=at(min(created, self.now_ts)))

    # ---- orchestration ---------------------------------------------------------------------------
    def run(self, s) -> None:
        self.fixed_records(s)
        self.build_pools()
        self.plan_accounts()
        self.plan_contacts()
        self.plan_owners_and_paths()
        self.plan_opportunities()
        for p in self.people:
            self.build_path(p)
        # Random draws happen in this fixed order on every engine (same seed, same data);
        # only the order of the writes below depends on the engine.
        accounts = list(self.account_rows())
        contacts = list(self.contact_rows())
        self.plan_channels()
        conn = s.connection()
        old_cache = None
        if conn.dialect.name == "sqlite":
            # One long transaction: a bigger page cache keeps its indexes in memory.
            old_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            conn.exec_driver_sql("PRAGMA cache_size = -262144")
        normalizer = _Normalizer([r["address"] for r in self.email_rows],
                                 [(r["raw"], r.pop("region")) for r in self.phone_rows])
        try:
            self.insert(s, "accounts", Account, accounts, len(accounts))
            self.insert(s, "contacts", Contact, contacts, len(contacts))
            emails, phones = normalizer.results()
            for row, (shown, norm) in zip(self.email_rows, emails):
                row["address"], row["address_normalized"] = shown, norm
            for row, (raw, e164) in zip(self.phone_rows, phones):
                row["raw"], row["e164"] = raw, e164
            self.insert(s, "contact_emails", ContactEmail, self.email_rows, len(self.email_rows))
            self.insert(s, "contact_phones", ContactPhone, self.phone_rows, len(self.phone_rows))
            del accounts, contacts, self.email_rows, self.phone_rows
            self.insert(s, "lifecycle_events", LifecycleEvent, self.lifecycle_rows(),
                        sum(len(p.path) for p in self.people))
            self.insert(s, "engagement_events", EngagementEvent, self.engagement_rows(), len(self.people) * 2 // 3)
            self.insert(s, "opportunities", Opportunity, self.opportunity_rows(), len(self.opps))
            self.insert(s, "opportunity_events", OpportunityEvent, self.opportunity_event_rows(),
                        sum(len(o.history) for o in self.opps))
            self.insert(s, "bant", Bant, self.bant_rows(), len(self.people) // 10)
            acts = self.plan_activities()
            self.insert(s, "activities", Activity, self.activity_rows(acts), len(acts))
        finally:
            normalizer.close()
            if old_cache is not None:
                conn.exec_driver_sql(f"PRAGMA cache_size = {int(old_cache)}")


# =========================================================================================
# Public API
# =========================================================================================

def generate(
    db: Database,
    scale: str = "small",
    seed: int = 7,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    *,
    force: bool = False,
    now: dt.datetime | None = None,
) -> DemoSummary:
    """Fill ``db`` with demo data; same ``seed`` and ``now``, same data (ids aside).

    Refuses (:class:`ValidationError`) a database that already holds contacts unless
    ``force``. Seeds the database first (``setup.initialize``) if needed. Everything is
    written in one transaction: :class:`DemoCancelled` (``cancel`` set) or any error leaves
    the database as it was. ``progress(step, done, total)`` is called per chunk written.
    """
    if scale not in SCALES:
        raise ValidationError(f"Unknown demo scale '{scale}' (use {' or '.join(SCALES)}).", field="scale")
    if now is None:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    elif now.tzinfo is None:
        raise ValidationError("The demo's 'now' must be an aware datetime.", field="now")
    started = time.perf_counter()
    with db.reader() as s:
        _refuse_if_not_empty(s, force)
        seeded = s.get(Pipeline, setup.seed_id("pipeline", "default")) is not None
        has_users = s.scalar(select(func.count()).select_from(User).where(User.deleted.is_(False)))
    if not seeded or not has_users:
        setup.initialize(db)
    gen = _Generator(db, SCALES[scale], seed, now, progress, cancel)
    # Millions of short-lived dicts and tuples: the cyclic GC's sweeps over the growing
    # heap would cost a large share of the run, and none of it is garbage until the end.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with db.unit_of_work() as s, bulk_load(s):
            _refuse_if_not_empty(s, force)  # again, inside the writing transaction
            gen.run(s)
    finally:
        if gc_was_enabled:
            gc.enable()
    if db.dialect == "sqlite":
        _checkpoint_sqlite(db)
    return DemoSummary(scale=scale, seed=seed, seconds=round(time.perf_counter() - started, 3), **gen.counts)


def _refuse_if_not_empty(s, force: bool) -> None:
    if force:
        return
    if s.scalar(select(Contact.id).where(Contact.deleted.is_(False)).limit(1)) is not None:
        raise ValidationError(
            "This database already holds contacts, and demo data would mix with your real records. "
            "Try the demo on a new, empty database (start LeadDesk with LEADDESK_DATA_DIR set to an "
            "empty folder), or add it here anyway with the command `leaddesk demo --force`.",
            field="force",
        )


def _checkpoint_sqlite(db: Database) -> None:
    """Fold the write-ahead log into the database file and truncate it: one big transaction
    leaves a WAL as big as the data, which would otherwise stay on disk."""
    raw = db.engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    finally:
        raw.close()
