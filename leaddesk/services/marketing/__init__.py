"""Marketing: campaigns and events (where leads come from, what they cost, who engaged)."""
