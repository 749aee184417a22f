"""Follow-ups in the app: SLA timers on leads and the managers' speed-to-lead and
persistence figures (My day, reminders and cadences join them)."""
