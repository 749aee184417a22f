"""The capture window driven by keyboard as a rep at a booth does (both engines): a batch of
card images rendered here with Pillow (plus a file that is no image) is read by the real
reader (OCR on this machine), each card reviewed beside its image; a field edited, Enter
saves it as a lead of the event and shows the next card; the third card is someone already
in LeadDesk, offered before saving: Enter updates that contact (a merge) and Undo restores
it. The queue model passes Qt's model tester."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from leaddesk.models.enums import CampaignKind
from leaddesk.services.capture import capture
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.ui import jobs
from leaddesk.ui.capture._queue_model import ERROR, READ, SAVED, SKIPPED, CaptureQueueModel, QueueItem
from leaddesk.ui.capture.capture_window import CaptureWindow

FONTS = Path("/usr/share/fonts/truetype/dejavu")

ANA = ["Ana Silva", "Head of Procurement", "Nordwind Logistik GmbH", "ana.silva@nordwind-logistik.de",
       "Mobile: +49 171 2345678", "www.nordwind-logistik.de"]
JONAS = ["Jonas Weber", "Fleet Manager", "Hafenkraft AG", "j.weber@hafenkraft.de", "Tel: +49 40 3012345"]
DENIZ = ["Deniz Kaya", "Operations Director", "Acme Logistics", "deniz.kaya@acme-logistics.com",
         "Mobile: +49 160 9876543"]


def render_card(path: Path, lines: list[str], *, size=(1050, 600)) -> Path:
    """A plain card: the name large, the rest below (what a phone photo of a card gives,
    without the blur)."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    big = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 54)
    small = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 34)
    y = 60
    for i, text in enumerate(lines):
        draw.text((70, y), text, fill=(20, 20, 30), font=big if i == 0 else small)
        y += 84 if i == 0 else 54
    img.save(path)
    return path


@pytest.fixture
def cards(tmp_path) -> dict[str, Path]:
    bad = tmp_path / "notacard.jpg"
    bad.write_bytes(b"this is a text file with a .jpg name")
    return {"ana": render_card(tmp_path / "ana.png", ANA), "bad": bad,
            "jonas": render_card(tmp_path / "jonas.png", JONAS), "deniz": render_card(tmp_path / "deniz.png", DENIZ)}


@pytest.fixture
def event(db):
    return campaigns.create_campaign(db, name="LogiMAT 2027", kind=CampaignKind.TRADE_SHOW, location="Stuttgart, Germany",
                                     starts_on=dt.date.today(), ends_on=dt.date.today() + dt.timedelta(days=2))


@pytest.fixture
def deniz(db):
    acme = accounts.create_account(db, name="Acme Logistics")
    return contacts.create_contact(db, given_name="Deniz", family_name="Kaya", account_id=acme.id,
                                   emails=["deniz.kaya@acme-logistics.com"])


@pytest.fixture
def window(qtbot, db) -> CaptureWindow:
    widget = CaptureWindow(db)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.engine_state == "ready"  # warmed up as the window opened
    return widget


def press_enter(qtbot) -> None:
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def test_capture_window_batch_saves_leads_of_the_event_and_catches_the_duplicate(qtbot, db, event, deniz, window, cards,
                                                                                 no_dialogs):
    window.events.select(event.id)
    assert window.events.event_id() == event.id
    changed = []
    def spy(changes, _who):
        changed.append(changes)

    jobs.app_signals.data_changed.connect(spy)
    window.add_paths([cards["ana"], cards["bad"], cards["jonas"], cards["deniz"]])

    # Every card read in the capture pool; the bad file is an error and the batch went on.
    items = window.model.items()
    assert [i.status for i in items] == [READ, ERROR, READ, READ]
    assert "notacard.jpg" in items[1].detail
    assert window.progress.value() == 1 and window.progress.maximum() == 4

    # The first card, read by the real reader, beside its image.
    assert window.current_row == 0 and window.image.has_image()
    form = window.form
    assert (form.editors["given_name"].text(), form.editors["family_name"].text()) == ("Ana", "Silva")
    assert form.editors["company"].text() == "Nordwind Logistik GmbH"
    assert form.emails.values() == ["ana.silva@nordwind-logistik.de"]
    assert [p.number for p in form.phones.phones()] == ["+491712345678"]
    assert form.conf_labels["emails"].text().endswith("%")

    # The rep corrects the job title and presses Enter: saved, and the next card is shown.
    title = form.editors["title"]
    title.setFocus()
    title.selectAll()
    qtbot.keyClicks(title, "Head of Purchasing")
    press_enter(qtbot)
    assert no_dialogs == []
    assert items[0].status == SAVED
    ana = contacts.get_contact(db, items[0].contact_id)
    assert (ana.display_name, ana.job_title, ana.campaign_id) == ("Ana Silva", "Head of Purchasing", event.id)
    assert ana.captured_at is not None
    jobs.app_signals.data_changed.disconnect(spy)
    assert any(c is not None and ana.id in c.ids and "contact_card" in c.entities for c in changed)  # lists refresh
    kept = capture.list_cards(db, ana.id)
    assert len(kept) == 1 and kept[0].image_mime == "image/jpeg" and kept[0].campaign_id == event.id
    assert kept[0].fields_read["title"] == "Head of Procurement"  # as read, before the correction
    assert "Saved Ana Silva as a lead of LogiMAT 2027" in window.banner.label.text()

    # The unreadable file is passed over: Jonas is next.
    assert window.current_row == 2
    assert form.editors["given_name"].text() == "Jonas"
    press_enter(qtbot)
    assert items[2].status == SAVED
    assert contacts.get_contact(db, items[2].contact_id).campaign_id == event.id

    # Deniz is already a contact (same e-mail): offered before anything is written.
    assert window.current_row == 3
    press_enter(qtbot)
    panel = window.same_person
    assert panel.isVisible() and items[3].status == READ
    assert panel.current().contact_id == deniz.id and panel.update_button.text() == "&Update Deniz Kaya"
    assert "same e-mail" in panel.list.item(0).text()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)  # Esc: back to the form, nothing written
    assert not panel.isVisible() and window.isVisible() and items[3].status == READ
    press_enter(qtbot)
    assert panel.isVisible()
    press_enter(qtbot)  # Enter updates the highlighted contact
    assert items[3].status == SAVED and not panel.isVisible()
    merged = contacts.get_contact(db, deniz.id)
    assert "+491609876543" in [p.number for p in merged.phones]  # the card's phone joined Deniz
    assert window.banner.label.text().startswith("Merged into Deniz Kaya")
    assert window.banner.undo_button.isVisible()

    qtbot.mouseClick(window.banner.undo_button, Qt.MouseButton.LeftButton)
    assert no_dialogs == []
    restored = contacts.get_contact(db, deniz.id)
    assert [p.number for p in restored.phones] == []
    assert window.banner.label.text().startswith("Merge undone")

    # The batch is done: 3 saved, 1 unreadable.
    assert window.current_item() is None and window.progress.value() == 4
    assert "3 saved" in window.status.text() and "1 unreadable" in window.status.text()


def test_capture_window_skip_back_and_esc_guard(qtbot, db, window, cards, monkeypatch):
    assert window.progress.text() == "No cards yet"  # not "0 of 1 cards done"
    window.add_paths([cards["ana"], cards["jonas"]])
    assert window.progress.text().endswith("of 2 cards done")
    assert window.current_row == 0
    qtbot.keyClick(window.form.editors["given_name"], Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert window.model.item(0).status == SKIPPED and window.current_row == 1
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert window.current_row == 0 and window.model.item(0).status == READ  # back to review it after all
    # Esc with unsaved cards asks first; "Keep editing" keeps the window open.
    asked = []
    from leaddesk.ui.widgets.form_guard import DiscardGuard

    monkeypatch.setattr(DiscardGuard, "ask", lambda self: asked.append(self.what) or False)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert asked == ["this batch of cards (2 not saved yet)"] and window.isVisible()


def test_capture_window_takes_pasted_images_pasted_paths_and_dropped_files(qtbot, db, window, cards):
    clipboard = QGuiApplication.clipboard()
    clipboard.setImage(QImage(str(cards["jonas"])))
    window.queue.setFocus()
    qtbot.keyClick(window.queue, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert [i.name for i in window.model.items()] == ["Pasted image 1"]
    assert isinstance(window.model.item(0).source, bytes) and window.model.item(0).status == READ

    # In a field, Ctrl+V with files on the clipboard adds them; with text it pastes the text.
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(cards["ana"]))])
    clipboard.setMimeData(mime)
    field = window.form.editors["website"]
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert [i.name for i in window.model.items()] == ["Pasted image 1", "ana.png"]
    clipboard.setText("www.hafenkraft.de")
    before = field.text()
    qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert field.text() == before + "www.hafenkraft.de" and window.model.rowCount() == 2

    # A folder dropped on the window gives its images (a batch); the .txt beside them is left out.
    folder = cards["ana"].parent
    (folder / "notes.txt").write_text("not a card")
    drop = QMimeData()
    drop.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, drop, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert [i.name for i in window.model.items()[2:]] == ["ana.png", "deniz.png", "jonas.png", "notacard.jpg"]
    assert window.model.items()[-1].status == ERROR  # an image by its name only: the queue says so


def test_capture_window_ctrl_enter_saves_from_the_note_where_enter_is_a_new_line(qtbot, db, window, cards):
    window.add_paths([cards["jonas"]])
    note = window.form.note
    note.setFocus()
    qtbot.keyClicks(note, "Wants a demo")
    qtbot.keyClick(note, Qt.Key.Key_Return)
    qtbot.keyClicks(note, "in March")
    assert window.model.item(0).status == READ  # Enter in the note is a new line
    qtbot.keyClick(note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    item = window.model.item(0)
    assert item.status == SAVED
    assert "Wants a demo\nin March" in (contacts.get_contact(db, item.contact_id).notes or "")


def test_capture_window_a_card_without_a_name_is_refused_with_the_field_named(qtbot, db, window, cards, no_dialogs):
    window.add_paths([cards["jonas"]])
    for key in ("given_name", "family_name"):
        window.form.editors[key].clear()
    window.form.editors["given_name"].setFocus()
    press_enter(qtbot)
    assert window.model.item(0).status == READ
    assert "name" in window.message.text() and window.form.editors["given_name"].hasFocus()
    assert no_dialogs == []


def test_capture_queue_model_passes_the_model_tester(qtmodeltester):
    model = CaptureQueueModel()
    model.add([QueueItem("a.png", "/tmp/a.png"), QueueItem("b.png", "/tmp/b.png")])
    model.update(model.item(1), status=ERROR, detail="b.png is not an image.")
    qtmodeltester.check(model)
    assert model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole) == "b.png is not an image."
    assert model.next_to_review(1) == 0
    model.clear_done()
    qtmodeltester.check(model)
    assert model.rowCount() == 1


@pytest.mark.real_pools
def test_capture_window_reads_in_the_capture_pool_not_on_the_ui_thread(qtbot, db, cards):
    widget = CaptureWindow(db)
    qtbot.addWidget(widget)
    widget.add_paths([cards["jonas"]])
    assert widget.model.item(0).status in ("waiting", "reading")  # returned at once
    qtbot.waitUntil(lambda: widget.model.item(0).status == READ, timeout=60000)
    assert widget.engine_state == "ready"
    assert widget.form.editors["given_name"].text() == "Jonas"


def test_contact_panel_shows_the_business_card_and_opens_it_full_size(qtbot, db, cards):
    from leaddesk.capture.fields import CardFields
    from leaddesk.ui.people.contact_detail import ContactDetail

    jpeg = Image.open(cards["ana"]).convert("RGB")
    out = cards["ana"].with_suffix(".jpg")
    jpeg.save(out, "JPEG")
    saved = capture.save_capture(db, CardFields(given_name="Ana", family_name="Silva"), image_jpeg=out.read_bytes())
    plain = contacts.create_contact(db, given_name="Bo", family_name="Chen")
    panel = ContactDetail(db)
    qtbot.addWidget(panel)
    panel.resize(460, 900)
    panel.show()
    panel.show_contact(saved.contact_id)
    qtbot.waitUntil(lambda: panel.contact is not None)
    assert panel.card.isVisible() and (panel.card.pixmap.width(), panel.card.pixmap.height()) == (1050, 600)
    full = panel.card.open_full()
    qtbot.addWidget(full)
    assert full.isVisible() and full.windowTitle() == "Business card"
    full.close()
    panel.show_contact(plain.id)  # a contact typed in by hand has no card: nothing shown
    qtbot.waitUntil(lambda: panel.contact is not None and panel.contact.id == plain.id)
    assert not panel.card.isVisible()
