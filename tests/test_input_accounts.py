"""Issue 9, item 1: the accounts page and the command line list accounts and display keys."""
from __future__ import annotations

import sqlalchemy as sa

from data_access import auth
from data_access.__main__ import main
from data_access.models import DisplayKey
from tests.apptest_helpers import signed_in


def test_list_users_gives_an_empty_zone_for_users_without_one(demo_engine):
    users = auth.list_users(demo_engine).set_index("username")
    assert users.loc["admin", "zones"] == "" and users.loc["viewer", "zones"] == ""
    assert users.loc["clerk", "zones"] == "Z1"
    assert users["zones"].map(type).eq(str).all()


def test_cli_user_list(engine, capsys):
    main(["init", "--demo"])
    capsys.readouterr()
    assert main(["user", "list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(lines) >= {"admin", "supervisor", "clerk", "viewer"}
    assert "Z1" in lines["clerk"] and "Z1" not in lines["admin"]
    assert out.splitlines()[0].split() == ["username", "display_name", "role", "active", "zones"]


def test_cli_key_list_shows_the_id_a_revoke_needs(engine, capsys):
    main(["init", "--demo"])
    assert main(["key", "add", "二区大屏", "--zone", "Z2"]) == 0
    capsys.readouterr()
    assert main(["key", "list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["id", "label", "zone", "created", "valid_through", "last_used", "revoked"]
    row = next(line for line in out.splitlines() if "二区大屏" in line)
    key_id = row.split()[0]
    assert main(["key", "revoke", key_id]) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(DisplayKey.revoked_at).where(DisplayKey.id == int(key_id))).scalar_one()
    capsys.readouterr()
    main(["key", "list"])
    revoked = next(line for line in capsys.readouterr().out.splitlines() if "二区大屏" in line)
    assert len(revoked.split()) > len(row.split())  # the revoked time is shown now
    assert main(["key", "revoke", "二区大屏"]) != 0  # a label is not an id


def test_admin_page_shows_the_accounts_table(demo_engine):
    at = signed_in("admin", "pages/admin.py")
    assert not at.exception
    shown = [frame.value for frame in at.dataframe]
    accounts = next(f for f in shown if "username" in f.columns)
    assert {"admin", "supervisor", "clerk", "viewer"} <= set(accounts["username"])
