"""Use cases. Plain functions over a :class:`leaddesk.db.Database`; no Qt.

Each call is one transaction. Reads return frozen dataclasses (``dto``), never ORM objects;
writes return the DTO of what they wrote plus, where useful, a ``Changes`` value.
"""
