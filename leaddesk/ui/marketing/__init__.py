"""Marketing screens: campaigns and events (trade shows, conferences, webinars) with their
dates, place and cost, and the choice of the current event that captures are tagged with."""
