"""Change capture and (later) replication. No Qt, no services."""
