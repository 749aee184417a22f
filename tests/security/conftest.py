"""The adversarial suite (issue #9): the team server attacked with the people's own
PostgreSQL logins, as psql would, not through the app. Fixtures of the sync tests: a
hub database for the run, and a team (two teams of reps, a manager, an admin) with
real LOGIN roles."""

from tests.sync.conftest import empty_hub, hub, hub_url, make_replica, world  # noqa: F401
from tests.sync.team import pg_team, team_hub  # noqa: F401
