"""Title normalisation with real job titles in English, German, Turkish, Persian, Arabic and
Thai: seniority, department and function from the word tables (pure, no database)."""

from __future__ import annotations

import datetime as dt
import tomllib
import time
import uuid
from importlib import resources

import pytest

from leaddesk.models.enums import Seniority
from leaddesk.services.qualification import titles
from leaddesk.services.qualification.dto import ContactFacts, PersonaDetail, RuleInfo
from leaddesk.services.qualification.personas import score_persona
from leaddesk.services.qualification.scoring_criteria import CRITERIA, clean_params, evaluate
from leaddesk.services.qualification.titles import names_any, normalize_text, normalize_title, same_role

E, S, M, D, VP, C, O = (Seniority.ENTRY, Seniority.SENIOR, Seniority.MANAGER, Seniority.DIRECTOR, Seniority.VP,
                        Seniority.C_LEVEL, Seniority.OWNER)
LOG, OPS, PROC, FIN, SALES, MKT, HR, EXEC = ("Logistics", "Operations", "Procurement", "Finance", "Sales",
                                             "Marketing", "Human Resources", "Executive Management")

# (title, seniority, department, language guess)
TITLES = [
    # English, with the abbreviations
    ("Warehouse Manager", M, LOG, "en"),
    ("CEO", C, EXEC, "en"),
    ("CTO", C, "IT", "en"),
    ("CFO", C, FIN, "en"),
    ("COO", C, OPS, "en"),
    ("SVP Sales", VP, SALES, "en"),
    ("EVP, Finance", VP, FIN, "en"),
    ("VP Supply Chain", VP, LOG, "en"),
    ("Dir. of Operations", D, OPS, "en"),
    ("Head of Procurement", D, PROC, "en"),
    ("Sr. Logistics Mgr", M, LOG, "en"),
    ("Jr. Buyer", E, PROC, "en"),
    ("Senior Financial Analyst", S, FIN, "en"),
    ("Chief Executive Officer", C, EXEC, "en"),
    ("Founder & CEO", O, EXEC, "en"),
    ("Managing Director", C, EXEC, "en"),
    ("CTO & Co-Founder", O, "IT", "en"),
    ("VP, Operations", VP, OPS, "en"),
    ("Head of Sales", D, SALES, "en"),
    # German: compounds, feminine forms
    ("Lagerleiter", M, LOG, "de"),
    ("Leiter Logistik", M, LOG, "de"),
    ("Einkaufsleiterin", M, PROC, "de"),
    ("Vertriebsleiter", M, SALES, "de"),
    ("IT-Leiter", M, "IT", "de"),
    ("Geschäftsführer", C, EXEC, "de"),
    ("Finanzvorstand", C, FIN, "de"),
    ("Produktionsleiter", M, OPS, "de"),
    ("Personalleiterin", M, HR, "de"),
    ("Teamleiter Lager", M, LOG, "de"),
    ("Sachbearbeiter Einkauf", E, PROC, "de"),
    ("Leiterin Marketing", M, MKT, "de"),
    ("Technischer Geschäftsführer", C, "IT", "de"),
    ("Senior Vizepräsident Vertrieb", VP, SALES, "de"),
    ("Dir. Vertrieb", D, SALES, "de"),
    ("Bereichsleiter Einkauf", D, PROC, "de"),
    # Turkish: possessive suffixes, İ/ı, typed with or without Turkish letters
    ("Depo Müdürü", M, LOG, "tr"),
    ("Lojistik Müdürü", M, LOG, "tr"),
    ("Satın Alma Müdürü", M, PROC, "tr"),
    ("SATIN ALMA MÜDÜRÜ", M, PROC, "tr"),
    ("Satin Alma Muduru", M, PROC, "tr"),
    ("Genel Müdür", C, EXEC, "tr"),
    ("Bilgi İşlem Müdürü", M, "IT", "tr"),
    ("BİLGİ İŞLEM MÜDÜRÜ", M, "IT", "tr"),
    ("Depo Sorumlusu", M, LOG, "tr"),
    ("İnsan Kaynakları Müdürü", M, HR, "tr"),
    ("Kıdemli Satış Uzmanı", S, SALES, "tr"),
    ("Pazarlama Direktörü", D, MKT, "tr"),
    ("Finans Müdürü", M, FIN, "tr"),
    ("Gn. Md.", C, EXEC, "tr"),
    ("Gn. Md. Yrd.", VP, EXEC, "tr"),
    ("Kıdemli Başkan Yardımcısı Satış", VP, SALES, "tr"),
    ("Teknoloji Direktörü", D, "IT", "tr"),
    ("Depo Md.", M, LOG, "tr"),
    ("Satış Müd.", M, SALES, "tr"),
    # Persian: ی/ي, ک/ك, zero-width non-joiner
    ("مدیر انبار", M, LOG, "fa"),
    ("مدیرعامل", C, EXEC, "fa"),
    ("مدیر\u200cعامل", C, EXEC, "fa"),
    ("مدیر فروش", M, SALES, "fa"),
    ("معاون بازاریابی", VP, MKT, "fa"),
    ("کارشناس ارشد خرید", S, PROC, "fa"),
    ("كارشناس ارشد خريد", S, PROC, "fa"),
    ("سرپرست انبار", M, LOG, "fa"),
    ("مدیر منابع انسانی", M, HR, "fa"),
    ("مدیر فناوری اطلاعات", M, "IT", "fa"),
    ("مدیر لجستیک", M, LOG, "fa"),
    ("مدیر ارشد مالی", C, FIN, "fa"),
    ("مدیر ارشد اجرایی", C, EXEC, "fa"),
    ("مدیر ارشد فناوری", C, "IT", "fa"),
    ("معاون ارشد فروش", VP, SALES, "fa"),
    ("مدیر کل", C, EXEC, "fa"),
    ("رئیس واحد خرید", D, PROC, "fa"),
    # Arabic: the article, prepositions, ة/ه, hamza forms, tatweel
    ("مدير المستودع", M, LOG, "ar"),
    ("مـديـر المستودع", M, LOG, "ar"),
    ("الرئيس التنفيذي", C, EXEC, "ar"),
    ("مدير عام", C, EXEC, "ar"),
    ("مدير المبيعات", M, SALES, "ar"),
    ("نائب الرئيس للمبيعات", VP, SALES, "ar"),
    ("رئيس قسم المشتريات", D, PROC, "ar"),
    ("مدير الموارد البشرية", M, HR, "ar"),
    ("مدير تقنية المعلومات", M, "IT", "ar"),
    ("مشرف المستودع", M, LOG, "ar"),
    ("محاسب أول", S, FIN, "ar"),
    ("مدير سلسلة الإمداد", M, LOG, "ar"),
    ("الرئيس التنفيذي للتكنولوجيا", C, "IT", "ar"),
    ("الرئيس التنفيذي للعمليات", C, OPS, "ar"),
    ("نائب الرئيس الأول للمبيعات", VP, SALES, "ar"),
    ("مدير إدارة المبيعات", D, SALES, "ar"),
    # Thai: no spaces between words
    ("ผู้จัดการคลังสินค้า", M, LOG, "th"),
    ("ผู้จัดการฝ่ายโลจิสติกส์", M, LOG, "th"),
    ("ผู้อำนวยการฝ่ายขาย", D, SALES, "th"),
    ("ประธานเจ้าหน้าที่บริหาร", C, EXEC, "th"),
    ("หัวหน้าแผนกจัดซื้อ", M, PROC, "th"),
    ("ผู้จัดการทั่วไป", C, EXEC, "th"),
    ("รองประธานฝ่ายการตลาด", VP, MKT, "th"),
    ("วิศวกรอาวุโส", S, "Engineering", "th"),
    ("ผู้จัดการฝ่ายไอที", M, "IT", "th"),
    ("ผู้จัดการฝ่ายบุคคล", M, HR, "th"),
    ("ผู้จัดการฝ่ายการเงิน", M, FIN, "th"),
    ("ซีอีโอ", C, EXEC, "th"),
    ("ซีทีโอ", C, "IT", "th"),
    ("รองประธานอาวุโสฝ่ายขาย", VP, SALES, "th"),
    ("หัวหน้าฝ่ายจัดซื้อ", D, PROC, "th"),
    ("ผจก.คลังสินค้า", M, LOG, "th"),
]


@pytest.mark.parametrize("title, seniority, department, language", TITLES)
def test_titles_say_seniority_department_and_language(title, seniority, department, language):
    facts = normalize_title(title)
    assert (facts.seniority, facts.department, facts.language) == (seniority, department, language)
    assert facts.matched and language in facts.languages


def test_every_language_has_ten_titles_here():
    counts = {code: sum(1 for *_, lang in TITLES if lang == code) for code in titles.LANGUAGES}
    assert min(counts.values()) >= 10, counts


FOUR = ["Depo Müdürü", "مدیر انبار", "مدير المستودع", "Lagerleiter"]


@pytest.mark.parametrize("title", [*FOUR, "ผู้จัดการคลังสินค้า", "Warehouse Manager"])
def test_the_warehouse_manager_in_every_language_says_the_same(title):
    facts = normalize_title(title)
    english = normalize_title("Warehouse Manager")
    assert (facts.seniority, facts.department, facts.functions) == (english.seniority, english.department,
                                                                     english.functions) == (M, LOG, ("warehouse",))
    assert same_role(title, "Warehouse Manager")[0] == 1.0


def test_mixed_language_titles_name_both_languages():
    facts = normalize_title("Head of Lojistik")
    assert (facts.seniority, facts.department, facts.languages) == (D, LOG, ("en", "tr"))
    facts = normalize_title("Leiter Supply Chain")
    assert (facts.seniority, facts.department) == (M, LOG)
    assert set(facts.languages) == {"de", "en"}


@pytest.mark.parametrize("title", ["Student", "Praktikant", "Stajyer", "Werkstudent", "Praktikantin", "دانشجو",
                                   "متدرب", "นักศึกษาฝึกงาน", "Working Student"])
def test_students_and_interns_are_entry_level_and_no_warehouse_manager(title):
    facts = normalize_title(title)
    assert facts.seniority is E
    assert facts.department is None
    assert {"student", "intern"} & set(facts.functions)
    assert same_role(title, "Warehouse Manager")[0] == 0.0
    assert not names_any(["warehouse", "manager"], title)


@pytest.mark.parametrize("title", ["Astronaut", "", None, "Facility", "Lagune", "Depozito"])
def test_titles_without_known_words_say_nothing(title):
    facts = normalize_title(title)
    assert not facts and facts.department is None and facts.matched == ()


def test_whole_words_only_it_is_not_inside_facility_or_a_german_word():
    assert normalize_title("Facility Manager").department is None
    assert normalize_title("Facility Manager").seniority is M
    assert normalize_title("Head of IT").department == "IT"
    assert normalize_title("Kitleiter").department is None  # "it" is shorter than a compound's part


def test_the_highest_seniority_named_wins():
    assert normalize_title("Senior Operations Manager").seniority is M
    assert normalize_title("Assistant Warehouse Manager").seniority is M
    assert normalize_title("Founder & CEO").seniority is O
    assert normalize_title("Genel Müdür Yardımcısı").seniority is VP  # the longest phrase first: deputy GM


def test_letters_are_folded_the_same_on_both_sides():
    assert normalize_text("مدير") == normalize_text("مدیر")
    assert normalize_text("كارشناس") == normalize_text("کارشناس")
    assert normalize_text("مـديـر") == normalize_text("مدیر")
    assert normalize_text("البشرية") == normalize_text("البشریه")
    assert normalize_text("مدیر\u200cعامل") == normalize_text("مدیر عامل")
    assert normalize_text("SATIN ALMA") == normalize_text("satın alma") == "satin alma"
    assert normalize_text("İŞLEM") == "islem"


def test_scoring_job_title_words_match_in_any_language():
    def rule(criterion, points, **params):
        return RuleInfo(name="r", family=CRITERIA[criterion].family, criterion=criterion,
                        params=clean_params(criterion, params), points=points)

    warehouse = rule("job_title_contains", 10, words=["warehouse"])
    vp = rule("job_title_contains", 15, words=["VP"])
    for title in [*FOUR, "Warehouse Manager"]:
        assert evaluate([warehouse], ContactFacts(job_title=title)).fit == 10, title
    assert evaluate([warehouse], ContactFacts(job_title="Praktikant")).fit == 0
    assert evaluate([warehouse], ContactFacts(job_title="Satın Alma Müdürü")).fit == 0
    assert evaluate([vp], ContactFacts(job_title="Vice President Sales")).fit == 15
    assert evaluate([vp], ContactFacts(job_title="نائب الرئيس للمبيعات")).fit == 15
    assert evaluate([vp], ContactFacts(job_title="Sales Director")).fit == 0


def _persona(**extra) -> PersonaDetail:
    data = dict(id=uuid.uuid4(), name="Operations Olivia", description=None, job_titles=("Warehouse Manager",),
                seniorities=(M, D), departments=("Operations", "Logistics"), industries=(), company_size_min=None,
                company_size_max=None, goals=None, motivations=None, background=None, daily_activities=None,
                interests=None, talking_points=None, avoid=False, reviewed_at=None, version=1, deleted=False,
                updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    return PersonaDetail(**{**data, **extra})


def _score(persona, title, seniority=None, department=None):
    return score_persona(persona, job_title=title, seniority=seniority, department=department, industry=None,
                         employees=None)


@pytest.mark.parametrize("title", FOUR)
def test_persona_score_reads_seniority_and_department_from_the_title(title):
    olivia = _persona()
    english = _score(olivia, "Warehouse Manager")
    assert english.score == 100
    match = _score(olivia, title)
    assert match.score == english.score
    assert f"job title '{title}' means 'Warehouse Manager' (warehouse, manager)" in match.reasons
    assert "seniority manager (from the job title) matches" in match.reasons
    assert "department (from the job title) 'Logistics' matches 'Logistics'" in match.reasons


def test_persona_score_keeps_what_the_contact_says_over_the_title():
    olivia = _persona()
    # a seniority or department filled in wins over what the title says
    assert _score(olivia, "Depo Müdürü", seniority=Seniority.ENTRY, department="Finance").score == 50
    # a department written in another language means the same department
    assert _score(_persona(job_titles=()), None, department="Lojistik").score == round(100 * 15 / 35)
    assert _score(_persona(job_titles=(), seniorities=()), None, department="Lojistik").score == 100


@pytest.mark.parametrize("title", ["Student", "Praktikant", "Stajyer"])
def test_persona_score_students_match_no_warehouse_manager(title):
    assert _score(_persona(), title).score == 0


def _tables_data():
    base = resources.files("leaddesk.services.qualification") / "data" / "titles"
    return {p.name: tomllib.loads(p.read_text(encoding="utf-8")) for p in base.iterdir() if p.name.endswith(".toml")}


def test_the_tables_are_data_one_file_per_language_with_known_values():
    data = _tables_data()
    assert set(data) == {f"{code}.toml" for code in titles.LANGUAGES} | {"functions.toml"}
    departments = data["functions.toml"]["departments"]
    demo = tomllib.loads((resources.files("leaddesk.services.demo") / "data" / "people.toml").read_text("utf-8"))
    assert set(departments.values()) <= {name for name, _ in demo["departments"]} | {EXEC}
    roles = {"owner", "founder", "intern", "student"}
    for code in titles.LANGUAGES:
        table = data[f"{code}.toml"]
        assert table["language"] == code
        assert {Seniority(s) for s in table["seniority"]} <= set(titles.RANK)
        assert set(table["functions"]) <= set(departments) | roles, code


def test_a_long_made_up_compound_is_read_in_reasonable_time():
    # every prefix is a known part ("werk", "werks", linker s): without the cache per tail
    # the compound search is exponential (minutes for this word)
    start = time.perf_counter()
    facts = normalize_title("werkswerks" * 30 + "z")
    assert time.perf_counter() - start < 2.0
    assert not facts


@pytest.mark.parametrize("wanted, titles_", [
    ("CTO", ["Technischer Geschäftsführer", "مدیر ارشد فناوری", "الرئيس التنفيذي للتكنولوجيا", "ซีทีโอ"]),
    ("CEO", ["Geschäftsführer", "Gn. Md.", "مدیر ارشد اجرایی", "الرئيس التنفيذي", "ซีอีโอ"]),
    ("SVP Sales", ["Senior Vizepräsident Vertrieb", "Kıdemli Başkan Yardımcısı Satış", "معاون ارشد فروش",
                   "نائب الرئيس الأول للمبيعات", "รองประธานอาวุโสฝ่ายขาย"]),
    ("Head of Procurement", ["Bereichsleiter Einkauf", "رئیس واحد خرید", "رئيس قسم المشتريات", "หัวหน้าฝ่ายจัดซื้อ"]),
    ("Warehouse Mgr", ["Depo Md.", "ผจก.คลังสินค้า", "Lagerleiter", "مدیر انبار", "مدير المستودع"]),
])
def test_abbreviated_roles_mean_the_same_in_every_language(wanted, titles_):
    """A persona written with an English abbreviation matches the same role in each language."""
    for title in titles_:
        assert same_role(title, wanted)[0] == 1.0, title
        assert _score(_persona(job_titles=(wanted,), seniorities=(), departments=()), title).score == 100, title
