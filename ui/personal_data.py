"""Who is offered the "show the full number" controls: admins and accounts with a personal-data grant.

Only the offer: the data layer decides for each record (a grant may cover one zone or one compound) and
writes the audit row of every full view."""
from __future__ import annotations

from data_access import people
from ui.data import read


def may_see_personal(user) -> bool:
    if user is None:
        return False
    if user.role == "admin":
        return True
    grants = read(people.grants)
    return bool(len(grants)) and user.username in set(grants["username"])
