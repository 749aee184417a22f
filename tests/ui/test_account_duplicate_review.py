"""Team ▸ Duplicates, accounts: the review dialog shows company pairs too (both engines)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QRadioButton

from leaddesk.services.people import account_duplicates as adup
from leaddesk.services.people import accounts, contacts, duplicates
from leaddesk.services.followups import activities
from leaddesk.services.pipeline import opportunities as pipeline
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import app_signals
from leaddesk.ui.people._duplicate_candidates_model import DuplicateCandidatesModel
from leaddesk.ui.people._duplicate_terms import ACCOUNT, CONTACT, LEFT, RIGHT
from leaddesk.ui.people.duplicate_review import DuplicateReviewDialog


@pytest.fixture
def fair(db):
    """The trade-show companies (a pair), each with contacts; plus one contact pair."""
    keep = accounts.create_account(db, name="Fair Goods GmbH", website="https://www.fairgoods.example",
                                   country="DE", industry="Retail", notes="Stand B12 at the trade show.",
                                   tags=["fair"])
    gone = accounts.create_account(db, name="FairGoods GmbH", website="fairgoods.example", country="DE",
                                   city="Köln", industry="Wholesale", employees=40, phone="+49 221 123456",
                                   notes="Wants a printed catalogue.", tags=["retail"])
    for given, account in (("Ayşe", keep), ("Mert", gone), ("Deniz", gone)):
        contacts.create_contact(db, given_name=given, family_name="Kaya", account_id=account.id,
                                allow_duplicate=True)
    pipeline.create_opportunity(db, gone.id, "Shelving for Köln", amount="8000")
    activities.log_activity(db, "call", "Booth follow-up", account_id=gone.id)
    accounts.create_account(db, name="Nordlicht Logistik", city="Hamburg")
    accounts.create_account(db, name="Nordlict Logistik GmbH", city="Hamburg")
    for _ in range(2):
        contacts.create_contact(db, given_name="Jonas", family_name="Becker", emails=["jonas@nordlicht.example"],
                                allow_duplicate=True)
    adup.detect(db)
    duplicates.detect(db)
    return keep, gone


@pytest.fixture
def dialog(qtbot, db, fair):
    widget = DuplicateReviewDialog(db)
    qtbot.addWidget(widget)
    widget.show()
    widget.show_kind(ACCOUNT)
    return widget


def pick(dialog, name: str):
    for row in range(dialog.model.rowCount()):
        cand = dialog.model.candidate(row)
        if name in (cand.a.display_name, cand.b.display_name):
            dialog.table.selectRow(row)
            return cand
    raise AssertionError(f"no pair with {name}")


def test_account_duplicate_review_model_passes_modeltester(qtmodeltester, db, fair):
    model = DuplicateCandidatesModel()
    model.set_candidates(adup.list_candidates(db), ACCOUNT)
    assert model.rowCount() == 2 and model.columnCount() == 4
    qtmodeltester.check(model)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Account"
    reasons = {model.index(r, DuplicateCandidatesModel.REASONS).data() for r in range(2)}
    assert reasons == {"Domain · Name", "Name"}
    top = model.index(0, DuplicateCandidatesModel.NAME_A)
    assert "fairgoods.example" in top.data(Qt.ItemDataRole.ToolTipRole)
    assert model.data(top, Roles.ROW).entity == "account"
    model.set_candidates(duplicates.list_candidates(db), CONTACT)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Contact"
    qtmodeltester.check(model)


def test_account_duplicate_review_filter_shows_each_kind_with_its_count(qtbot, db, fair):
    widget = DuplicateReviewDialog(db)
    qtbot.addWidget(widget)
    assert widget.kind == CONTACT and widget.model.rowCount() == 1
    assert [widget.kind_box.itemText(i) for i in range(2)] == ["Contacts (1)", "Accounts (2)"]
    widget.show_kind(ACCOUNT)
    assert widget.model.rowCount() == 2 and widget.tabs.tabText(0) == "To review (2)"
    assert widget.model.candidate(0).entity == "account"
    widget.show_kind(CONTACT)
    assert widget.model.rowCount() == 1 and widget.model.candidate(0).a.display_name == "Jonas Becker"


def test_account_duplicate_review_compares_fields_and_counts(dialog, fair):
    keep, gone = fair
    cand = pick(dialog, "Fair Goods GmbH")
    groups = dialog.comparison.groups
    assert {"name", "website", "industry", "city", "phone", "notes", "tags"} <= set(groups)
    assert "country" not in groups  # the same on both sides
    left_is_keep = cand.a.id == keep.id
    keep_side = "left" if left_is_keep else "right"
    gone_side = "right" if left_is_keep else "left"
    radio = lambda name: dialog.comparison.findChild(QRadioButton, name)  # noqa: E731
    assert radio(f"industry_{keep_side}").isChecked()  # keep what is there
    assert radio(f"city_{gone_side}").isChecked()  # an empty side takes the other value
    assert groups["notes"].checkedId() == 2 and groups["tags"].checkedId() == 2  # both kept
    texts = [w.text() for w in dialog.comparison.findChildren(QLabel)]
    assert "Contacts" in texts and "Deals" in texts and "Activities" in texts
    assert "fairgoods.example · DE" in texts and "fairgoods.example · Köln, DE" in texts
    assert "account" in dialog.merge_left_button.toolTip()


def test_account_duplicate_review_merge_then_undo(qtbot, dialog, db, fair):
    keep, gone = fair
    cand = pick(dialog, "Fair Goods GmbH")
    side = LEFT if cand.a.id == keep.id else RIGHT
    dialog.comparison.choose("industry", RIGHT if side == LEFT else LEFT)  # take the loser's industry
    with qtbot.waitSignal(app_signals.data_changed, timeout=5000):
        dialog.merge_into(side)
    got = accounts.get_account(db, keep.id)
    assert (got.industry, got.city, got.employees) == ("Wholesale", "Köln", 40)
    assert accounts.get_account(db, gone.id, include_deleted=True).deleted
    assert len(contacts.list_contacts(db, account_id=keep.id).items) == 3
    assert "Merged FairGoods GmbH into Fair Goods GmbH. Every contact, deal and activity" in dialog.banner.text()
    assert dialog.model.rowCount() == 1 and dialog.kind_box.itemText(1) == "Accounts (1)"
    assert dialog.merges.count() == 1 and "FairGoods GmbH merged into Fair Goods GmbH" in dialog.merges.item(0).text()
    with qtbot.waitSignal(app_signals.data_changed, timeout=5000):
        dialog.undo_button.click()
    assert "both accounts are back" in dialog.banner.text()
    assert accounts.get_account(db, keep.id).industry == "Retail"
    assert len(contacts.list_contacts(db, account_id=gone.id).items) == 2
    assert dialog.model.rowCount() == 2 and dialog.merges.count() == 0


def test_account_duplicate_review_undo_from_recent_merges_and_dismiss(dialog, db, fair):
    keep, gone = fair
    merge_id = adup.merge(db, keep.id, gone.id)
    dialog.reload()
    dialog.tabs.setCurrentIndex(1)
    dialog.merges.setCurrentRow(0)
    dialog.undo_selected_button.click()
    assert adup.list_merges(db) == [] and adup.list_merges(db, include_undone=True)[0].id == merge_id
    dialog.tabs.setCurrentIndex(0)
    pick(dialog, "Nordlicht Logistik")
    dialog.dismiss_button.click()
    assert "different companies" in dialog.banner.text()
    assert dialog.model.rowCount() == 1
    assert len(duplicates.list_candidates(db)) == 1  # the contact pair is untouched


def test_account_duplicate_review_renders(qtbot, dialog, fair):
    pick(dialog, "Fair Goods GmbH")
    dialog.resize(1180, 660)
    qtbot.wait(10)
    image = dialog.grab()
    assert not image.isNull() and image.width() >= 1000
    image.save("/tmp/acct-dupes.png")
    dialog.show_kind(CONTACT)  # the contact view is unchanged by the kind filter
    pick(dialog, "Jonas Becker")
    qtbot.wait(10)
    assert dialog.model.headerData(0, Qt.Orientation.Horizontal) == "Contact"
    dialog.grab().save("/tmp/contact-dupes.png")
    dialog.show_kind(ACCOUNT)
    dialog.dismiss_button.click()
    dialog.dismiss_button.click()  # both account pairs dismissed: the empty page says which kind
    assert dialog.stack.currentWidget() is dialog.empty and "duplicate accounts" in dialog.empty.text()
    dialog.grab().save("/tmp/acct-dupes-empty.png")


@pytest.mark.real_pools
def test_account_duplicate_review_switching_kind_on_real_worker_threads(qtbot, db, fair):
    keep, gone = fair
    widget = DuplicateReviewDialog(db)
    qtbot.addWidget(widget)
    widget.show_kind(ACCOUNT)  # at once, while the contact reload may still be in flight
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2 and widget.kind_box.itemText(0) == "Contacts (1)",
                    timeout=10000)
    assert all(widget.model.candidate(r).entity == "account" for r in range(2))
    cand = pick(widget, "Fair Goods GmbH")
    with qtbot.waitSignal(app_signals.data_changed, timeout=10000):
        widget.merge_into(LEFT if cand.a.id == keep.id else RIGHT)
    qtbot.waitUntil(lambda: widget.model.rowCount() == 1 and widget.merges.count() == 1, timeout=10000)
    assert accounts.get_account(db, gone.id, include_deleted=True).deleted
