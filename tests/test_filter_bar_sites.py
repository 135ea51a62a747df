"""The filter bar's site picker with all zones and many sites (issue 14): only the picked site is read and
labelled, the rest is a count; with a zone, the zone's sites."""
from __future__ import annotations

import pytest

from data_access import territory
from tests.apptest_helpers import signed_in
from ui import filter_bar
from ui.i18n import text_in

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def few_listed(monkeypatch):
    monkeypatch.setattr(filter_bar, "SITE_LIST_LIMIT", 5)  # the demo's ~100 sites count as many


def site_picker(at):
    return next(box for box in at.sidebar.selectbox if box.key == filter_bar.SITE)


def test_all_zones_offers_only_the_picked_site_and_says_why(demo_engine, few_listed):
    sites = territory.sites()
    picked = int(sites["id"].iloc[3])
    at = signed_in("supervisor", query={"site": str(picked)})
    box = site_picker(at)
    assert box.value == picked
    assert len(box.options) == 2  # every site, and the picked one
    assert sites.loc[sites["id"] == picked, "name"].iloc[0] in box.options[1]
    assert text_in("zh", "filter.site_needs_zone") in [caption.value for caption in at.sidebar.caption]


def test_picker_labels_count_instead_of_reading_every_site(demo_engine, few_listed, monkeypatch):
    def every_site(*_args, **_kwargs):
        raise AssertionError("read every site")

    total = territory.active_site_count()
    picked = int(territory.sites()["id"].iloc[0])
    monkeypatch.setattr(territory, "sites", every_site)
    assert filter_bar.picker_labels(None, 0) == ({}, total)
    labels, count = filter_bar.picker_labels(None, picked)
    assert list(labels) == [picked] and count == total


def test_a_zone_lists_its_sites(demo_engine, few_listed):
    zone_id = int(territory.zones()["id"].iloc[0])
    labels, count = filter_bar.picker_labels(zone_id, 0)
    assert count == len(labels) == len(territory.sites(zone_id))


def test_a_site_that_is_not_active_is_dropped(demo_engine, few_listed):
    assert filter_bar.picker_labels(None, 99_999_999)[0] == {}
