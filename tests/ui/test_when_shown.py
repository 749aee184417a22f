"""WhenShown: a view's refresh runs now when the view is on screen, else once at its next
show (not at every show, and not while hidden)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from leaddesk.ui.widgets.when_shown import WhenShown


def test_a_hidden_view_refreshes_once_when_shown_and_a_visible_one_at_once(qtbot):
    calls = []
    view = QWidget()
    qtbot.addWidget(view)
    later = WhenShown(view, lambda: calls.append("refresh"))
    later.run()
    later.run()  # two changes while hidden: one refresh
    assert calls == [] and later.pending
    view.show()
    qtbot.waitExposed(view)
    assert calls == ["refresh"] and not later.pending
    view.hide()
    view.show()  # shown again with nothing pending: no refresh
    assert calls == ["refresh"]
    later.run()  # visible: at once
    assert calls == ["refresh", "refresh"]


def test_the_caller_may_say_whether_now_is_the_time(qtbot):
    calls = []
    view = QWidget()
    qtbot.addWidget(view)
    later = WhenShown(view, lambda: calls.append(1))
    later.run(True)  # e.g. a panel whose parent is on screen before it is
    assert calls == [1]
    view.show()
    later.run(False)
    assert calls == [1] and later.pending
    view.hide()
    view.show()
    assert calls == [1, 1]
