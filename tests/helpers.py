"""Small builders for data-access tests that need a few rows but not the whole demo set."""
from __future__ import annotations

from data_access import auth
from data_access.db import write_session
from data_access.models import Site, WorkZone


def minimal_territory(engine) -> dict:
    """Two zones with one road checkpoint each, and one account of every role (password 'pw12-pw12')."""
    with write_session(engine) as session:
        zones = [WorkZone(code="Z1", name="一区"), WorkZone(code="Z2", name="二区")]
        session.add_all(zones)
        session.flush()
        sites = [
            Site(kind="checkpoint", checkpoint_type="road", zone_id=zones[0].id, name="东卡口"),
            Site(kind="checkpoint", checkpoint_type="road", zone_id=zones[1].id, name="西卡口"),
            Site(kind="village", zone_id=zones[0].id, name="王家村", households_known=100, people_known=300),
        ]
        session.add_all(sites)
        session.flush()
        ids = {"z1": zones[0].id, "z2": zones[1].id, "cp1": sites[0].id, "cp2": sites[1].id, "village": sites[2].id}
    auth.add_user("admin1", "pw12-pw12", "admin", engine=engine)
    auth.add_user("super1", "pw12-pw12", "supervisor", engine=engine)
    auth.add_user("clerk1", "pw12-pw12", "clerk", zone_codes=["Z1"], engine=engine)
    auth.add_user("viewer1", "pw12-pw12", "viewer", engine=engine)
    return ids


def day_row(site_id, vehicles=10, persons=20, outside=1, turned_back=0, abnormal=0, version=None) -> dict:
    return {"site_id": site_id, "vehicles": vehicles, "persons": persons, "persons_from_outside": outside,
            "turned_back": turned_back, "abnormal_temperature": abnormal, "version": version}
