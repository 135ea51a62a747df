"""`python -m data_access ...`: first set-up from the command line."""
from __future__ import annotations

import sqlalchemy as sa

from data_access import auth, db
from data_access.__main__ import main
from data_access.models import AuditLog, DisplayKey, Setting, User, WorkZone


def counts(engine) -> dict:
    with engine.connect() as conn:
        return {m.__tablename__: conn.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
                for m in (WorkZone, User, DisplayKey, AuditLog, Setting)}


def test_init_demo_twice_changes_nothing(engine, capsys):
    assert main(["init", "--demo"]) == 0
    first, version = counts(engine), db.data_version(engine)
    assert first["work_zone"] == 6
    assert main(["init", "--demo"]) == 0
    assert counts(engine) == first and db.data_version(engine) == version
    assert "nothing changed" in capsys.readouterr().out
    assert main(["init"]) == 0
    assert counts(engine) == first


def test_demo_refused_over_real_data(engine, capsys):
    with db.write_session(engine) as session:
        session.add(WorkZone(code="R1", name="真实管区"))
    before = counts(engine)
    assert main(["init", "--demo"]) == 2
    assert counts(engine) == before
    assert "real" in capsys.readouterr().err.lower()


def test_user_commands(engine, monkeypatch, capsys):
    main(["init", "--demo"])
    monkeypatch.setenv("DASHBOARD_PASSWORD", "s3cret!-ok")
    assert main(["user", "add", "li", "--role", "clerk", "--zone", "Z3", "--name", "李明"]) == 0
    actor = auth.authenticate("li", "s3cret!-ok", engine)
    assert actor.role == "clerk" and len(actor.zone_ids) == 1
    assert main(["user", "add", "li", "--role", "clerk"]) == 2  # exists already
    assert main(["user", "add", "bad name!", "--role", "clerk"]) == 2
    assert main(["user", "add", "wu", "--role", "emperor"]) == 2
    monkeypatch.setenv("DASHBOARD_PASSWORD", "n3w-pass")
    assert main(["user", "passwd", "li"]) == 0
    assert auth.authenticate("li", "n3w-pass", engine) and not auth.authenticate("li", "s3cret!-ok", engine)
    assert main(["user", "disable", "li"]) == 0
    assert auth.authenticate("li", "n3w-pass", engine) is None


def test_display_key_commands(engine, capsys):
    main(["init", "--demo"])
    capsys.readouterr()
    assert main(["key", "add", "二区大屏", "--zone", "Z2"]) == 0
    key = capsys.readouterr().out.split("shown once): ")[1].split()[0]
    display = auth.check_display_key(key, engine)
    assert display.label == "二区大屏" and display.zone_id is not None
    with engine.connect() as conn:
        key_id = conn.execute(sa.select(DisplayKey.id).where(DisplayKey.label == "二区大屏")).scalar_one()
        stored = conn.execute(sa.select(DisplayKey.key_hash).where(DisplayKey.id == key_id)).scalar_one()
    assert key not in stored  # only the hash is kept
    assert main(["key", "revoke", str(key_id)]) == 0
    assert auth.check_display_key(key, engine) is None
    assert auth.check_display_key("demo-wall", engine) is not None
    assert auth.check_display_key("not-a-key", engine) is None


def test_admin_rights_on_accounts(engine):
    main(["init", "--demo"])
    supervisor = auth.authenticate("supervisor", "demo", engine)
    admin = auth.authenticate("admin", "demo", engine)
    import pytest

    from data_access.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        auth.add_user("x1", "pass1-long", "viewer", actor=supervisor, engine=engine)
    with pytest.raises(PermissionDenied):
        auth.create_display_key("大屏", supervisor, engine=engine)
    auth.add_user("x1", "pass1-long", "viewer", actor=admin, engine=engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(AuditLog.username).where(AuditLog.table_name == "app_user")
                            .order_by(AuditLog.id.desc())).first()[0] == "admin"
