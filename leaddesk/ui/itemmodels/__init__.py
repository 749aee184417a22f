"""Qt item models (named so they are not confused with leaddesk.models, the tables)."""
