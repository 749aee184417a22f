from __future__ import annotations

import pytest

from leaddesk.services.people import accounts
from leaddesk.ui.itemmodels.paged_table_model import PagedTableModel, Column
from leaddesk.ui.shell.main_window import MainWindow


def test_main_window_lists_accounts_sorted_by_name(qtbot, db):
    for name in ["Zeta Ltd", "acme GmbH", "Özdemir A.Ş.", "Beta"]:
        accounts.create_account(db, name=name, country="TR")
    window = MainWindow(db, user_label="Ada")
    qtbot.addWidget(window)
    window.load()
    model = window.accounts_page.model
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names == ["acme GmbH", "Beta", "Özdemir A.Ş.", "Zeta Ltd"]
    assert model.index(0, 3).data() == "TR"


def test_paged_model_fetches_more_pages_as_the_view_asks(qtbot, qtmodeltester, db):
    for i in range(45):
        accounts.create_account(db, name=f"Account {i:02d}")
    model = PagedTableModel([Column("Name", lambda r: r.name)],
                            lambda after, limit: accounts.list_accounts(db, after=after, limit=limit), page_size=20)
    model.reload()
    assert model.rowCount() == 20 and model.canFetchMore()
    model.fetchMore()
    model.fetchMore()
    assert model.rowCount() == 45 and not model.canFetchMore()
    assert [model.index(r, 0).data() for r in (0, 44)] == ["Account 00", "Account 44"]
    qtmodeltester.check(model)


@pytest.mark.real_pools
def test_paged_model_loads_on_a_worker_thread(qtbot, db):
    accounts.create_account(db, name="Threaded")
    model = PagedTableModel([Column("Name", lambda r: r.name)],
                            lambda after, limit: accounts.list_accounts(db, after=after, limit=limit))
    with qtbot.waitSignal(model.page_loaded, timeout=5000):
        model.reload()
    assert model.index(0, 0).data() == "Threaded"
