from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from matcher.schemas import Outcome, Partner
from matcher.store import PartnerFilter, Store

pytestmark = pytest.mark.both_databases


def partner(partner_id: str, **fields: object) -> Partner:
    values: dict[str, object] = {
        "name": f"Partner {partner_id}",
        "partner_type": "system_integrator",
    }
    values.update(fields)
    return Partner(partner_id=partner_id, **values)


def test_upsert_then_get_returns_the_normalised_partner(store: Store) -> None:
    store.upsert_partners([partner("P-1", languages="German", countries="DACH")])
    stored = store.get_partner("P-1")
    assert stored is not None
    assert stored.languages == ["de"]
    assert stored.countries == ["DE", "AT", "CH"]


def test_upsert_of_an_existing_id_updates_in_place(store: Store) -> None:
    store.upsert_partners([partner("P-1", name="Old name", languages="de")])
    first_row = next(store.iter_partner_rows())[0][0]
    store.upsert_partners([partner("P-1", name="New name", languages="fr")])
    assert store.count_partners() == 1
    assert store.get_partner("P-1").name == "New name"  # type: ignore[union-attr]
    assert next(store.iter_partner_rows())[0][0] == first_row
    assert store.list_partners(PartnerFilter(language="de")).total == 0
    assert store.list_partners(PartnerFilter(language="fr")).total == 1


def test_get_unknown_partner_is_none(store: Store) -> None:
    assert store.get_partner("nope") is None


def test_delete_removes_partner_and_its_facets(store: Store) -> None:
    store.upsert_partners([partner("P-1", languages="de"), partner("P-2", languages="de")])
    assert store.delete_partner("P-1") is True
    assert store.delete_partner("P-1") is False
    assert store.get_partner("P-1") is None
    assert [p.partner_id for p in store.list_partners(PartnerFilter(language="de")).partners] == [
        "P-2"
    ]


def test_list_filters_combine_and_paginate(store: Store) -> None:
    store.upsert_partners(
        [
            partner(
                f"P-{i:02d}",
                languages="de" if i % 2 else "fr",
                countries="DE",
                tier="gold" if i < 5 else "silver",
                certifications="Cert A:2" if i % 3 == 0 else "",
            )
            for i in range(12)
        ]
    )
    german = store.list_partners(PartnerFilter(language="de", country="DE"), offset=0, limit=4)
    assert german.total == 6
    assert [p.partner_id for p in german.partners] == ["P-01", "P-03", "P-05", "P-07"]
    second_page = store.list_partners(PartnerFilter(language="de"), offset=4, limit=4)
    assert [p.partner_id for p in second_page.partners] == ["P-09", "P-11"]
    assert store.list_partners(PartnerFilter(tier="gold", language="de")).total == 2
    assert store.list_partners(PartnerFilter(certification="cert-a")).total == 4
    assert store.list_partners(PartnerFilter(name_contains="p-1")).total == 2


def test_list_rejects_bad_pagination(store: Store) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.list_partners(limit=0)


def test_a_failed_transaction_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as connection:
        store.upsert_partners([partner("P-1")], connection)
        raise RuntimeError("abort")
    assert store.count_partners() == 0


def test_outcomes_upsert_by_deal_and_partner(store: Store) -> None:
    def outcome(won: bool) -> Outcome:
        return Outcome(
            deal_id="D-1", partner_id="P-1", role="sourced", won=won, closed_on=date(2025, 1, 2)
        )

    store.upsert_outcomes([outcome(False)])
    store.upsert_outcomes([outcome(True)])
    frame = store.outcomes_frame()
    assert len(frame) == 1
    assert bool(frame.loc[0, "won"]) is True


def test_vector_cache_round_trips_by_model_and_hash(store: Store) -> None:
    vector = np.arange(4, dtype=np.float32)
    store.cache_vectors("model-a", {"h1": vector})
    assert np.array_equal(store.cached_vectors("model-a", ["h1", "h2"])["h1"], vector)
    assert store.cached_vectors("model-b", ["h1"]) == {}


def test_engine_rows_read_back_equal_to_the_validated_partners(store: Store) -> None:
    partner = Partner(
        partner_id="P-9",
        name="Nine",
        partner_type="system integrator",
        certifications=["SAP S/4HANA:3", "AWS Partner"],
        countries=["DACH"],
        last_active="2026-03-01",
        dedicated_manager="yes",
    )
    store.upsert_partners([partner])
    [(_, loaded)] = next(store.iter_partner_rows())
    assert loaded == partner and loaded.model_dump() == partner.model_dump()
    assert loaded.last_active == date(2026, 3, 1)
    assert loaded.certifications[0].holders == 3


def test_served_partner_ranks_are_what_decoding_every_logged_answer_gives(store: Store) -> None:
    from datetime import UTC, datetime

    from matcher.engine.evidence import served_ranks
    from matcher.store import recommendations_served

    answers = [
        [{"partner_id": "P-1", "reason": "ERP", "evidence": {"x": [1, 2]}}, {"partner_id": "P-2"}],
        [],
        [{"partner_id": "P-2"}, "not a result", {"partner_id": "P-3"}, {"partner_id": "P-1"}],
    ]
    with store.transaction() as connection:
        connection.execute(
            recommendations_served.insert(),
            [
                {
                    "recommendation_id": f"R-{number}",
                    "created_at": datetime(2026, 1, 1 + number, tzinfo=UTC),
                    "channel": "api",
                    "request": {"description": "ERP"},
                    "model_version": "m",
                    "index_version": "i",
                    "results": results,
                }
                for number, results in enumerate(answers)
            ],
        )
    expected = sorted(served_ranks(store.served_recommendations()))
    assert expected == [("P-1", 1), ("P-1", 4), ("P-2", 1), ("P-2", 2), ("P-3", 3)]
    assert sorted(store.served_partner_ranks()) == expected
