"""Follow-ups in the app: the managers' speed-to-lead and persistence figures (My day,
reminders and cadences join them). The first-touch timer and the list's SLA cell live in
``ui/widgets/sla_timer.py``, so the lead panel and the contact list need not import this
package (which may import theirs)."""
