"""The engine's profile cache reads through to the store and stays bounded."""

from __future__ import annotations

from matcher.engine.profiles import ProfileCache
from matcher.schemas import Partner
from matcher.store import Store


def _rows(store: Store, count: int) -> dict[str, int]:
    store.upsert_partners(
        [Partner(partner_id=f"P-{i}", name=f"P {i}", partner_type="msp") for i in range(count)]
    )
    return {p.partner_id: row for batch in store.iter_partner_rows() for row, p in batch}


def test_profiles_come_from_the_store_in_the_order_asked(store: Store) -> None:
    rows = _rows(store, 5)
    cache = ProfileCache(store, capacity=3)
    wanted = [rows["P-4"], rows["P-0"], rows["P-2"]]
    found = cache.many(wanted)
    assert [found[row].partner_id for row in wanted] == ["P-4", "P-0", "P-2"]
    cache.many([rows["P-1"], rows["P-3"]])
    assert len(cache._cached) == 3  # least recently used dropped


def test_a_written_profile_is_served_and_a_forgotten_one_reread(store: Store) -> None:
    rows = _rows(store, 1)
    cache = ProfileCache(store)
    renamed = Partner(partner_id="P-0", name="Renamed", partner_type="msp")
    cache.put(rows["P-0"], renamed)
    assert cache.get(rows["P-0"]).name == "Renamed"
    cache.forget(rows["P-0"])
    assert cache.get(rows["P-0"]).name == "P 0"  # the store's version


def test_a_row_the_store_lost_is_left_out(store: Store) -> None:
    rows = _rows(store, 2)
    cache = ProfileCache(store)
    store.delete_partner("P-1")
    assert cache.get(rows["P-1"]) is None
    assert list(cache.many([rows["P-0"], rows["P-1"]])) == [rows["P-0"]]
