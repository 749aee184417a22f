"""journal.install must attach to every new session factory, even one that the allocator
placed at the address of a freed factory (SQLAlchemy's event registry is keyed by id())."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy.orm import sessionmaker

from leaddesk.sync import journal


def _attached(factory) -> bool:
    with factory() as session:
        return journal._before_flush in session.dispatch.before_flush


def test_journal_install_survives_address_reuse():
    seen: set[int] = set()
    for _ in range(2000):
        factory = sessionmaker()
        if id(factory) in seen:  # a fresh factory where a freed, journaled one used to live
            journal.install(factory)
            assert _attached(factory)
            return
        journal.install(factory)
        assert _attached(factory)
        seen.add(id(factory))
        del factory
        gc.collect()
    pytest.skip("the allocator never reused a freed factory's address")
