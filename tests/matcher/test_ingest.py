from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from matcher.cli import app
from matcher.ingest import IngestError, ingest
from matcher.settings import Settings
from matcher.store import Store, partner_facets, partners

pytestmark = pytest.mark.both_databases

COLUMNS = [
    "partner_id",
    "name",
    "partner_type",
    "languages",
    "countries",
    "industries",
    "employees",
]


def partner_rows(count: int) -> list[dict[str, str]]:
    return [
        {
            "partner_id": f"P-{i:04d}",
            "name": f"Partner {i}",
            "partner_type": ["reseller", "System Integrator", "msp"][i % 3],
            "languages": "de;en" if i % 2 else "French",
            "countries": "DACH" if i % 2 else "FR",
            "industries": "manufacturing;Pharma",
            "employees": str(10 + i),
        }
        for i in range(count)
    ]


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def database_digest(store: Store) -> str:
    """A digest of every partner row and its facets, on SQLite and PostgreSQL alike."""
    with store.transaction() as connection:
        rows = sorted(
            repr(tuple(row))
            for table in (partners, partner_facets)
            for row in connection.execute(select(table))
        )
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()


def test_a_valid_csv_loads_every_row(store: Store, tmp_path: Path) -> None:
    report = ingest(
        store, "partners", write_csv(tmp_path / "p.csv", partner_rows(25)), chunk_rows=7
    )
    assert report.committed and report.rows_loaded == 25 and report.problems == []
    assert store.count_partners() == 25
    assert store.get_partner("P-0001").countries == ["DE", "AT", "CH"]  # type: ignore[union-attr]


def test_jsonl_with_arrays_loads_like_csv(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({**row, "languages": row["languages"].split(";")}) for row in partner_rows(5)
        ),
        encoding="utf-8",
    )
    report = ingest(store, "partners", path)
    assert report.committed and store.count_partners() == 5
    assert store.get_partner("P-0001").languages == ["de", "en"]  # type: ignore[union-attr]


def test_one_bad_row_in_a_thousand_is_reported_and_nothing_changes(
    store: Store, tmp_path: Path
) -> None:
    ingest(store, "partners", write_csv(tmp_path / "first.csv", partner_rows(10)))
    before = database_digest(store)
    rows = partner_rows(1000)
    rows[636]["industries"] = "manufactoring"
    report = ingest(store, "partners", write_csv(tmp_path / "p.csv", rows), chunk_rows=100)
    assert not report.committed
    assert report.rows_loaded == 0
    assert [(p.line, p.column) for p in report.problems] == [(638, "industries")]
    assert "closest allowed: manufacturing" in report.problems[0].message
    assert database_digest(store) == before
    assert store.count_partners() == 10


def test_skip_invalid_loads_good_rows_and_writes_rejects_with_reasons(
    store: Store, tmp_path: Path
) -> None:
    rows = partner_rows(20)
    rows[3]["employees"] = "-5"
    rows[7]["languages"] = "Klingon"
    report = ingest(store, "partners", write_csv(tmp_path / "p.csv", rows), skip_invalid=True)
    assert report.committed and report.rows_loaded == 18
    assert store.count_partners() == 18
    assert report.rejects_path == tmp_path / "p.csv.rejects.csv"
    with report.rejects_path.open(encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert [(r["line"], r["partner_id"]) for r in rejects] == [("5", "P-0003"), ("9", "P-0007")]
    assert "employees" in rejects[0]["problems"]
    assert "unknown language 'Klingon'" in rejects[1]["problems"]


def test_duplicate_ids_inside_a_file_are_reported_with_the_first_line(
    store: Store, tmp_path: Path
) -> None:
    rows = partner_rows(4)
    rows[3]["partner_id"] = rows[1]["partner_id"]
    report = ingest(store, "partners", write_csv(tmp_path / "p.csv", rows))
    assert not report.committed
    assert [(p.line, p.column) for p in report.problems] == [(5, "partner_id")]
    assert "first on line 3" in report.problems[0].message


def test_reingesting_updates_instead_of_duplicating(store: Store, tmp_path: Path) -> None:
    ingest(store, "partners", write_csv(tmp_path / "p.csv", partner_rows(5)))
    rows = partner_rows(5)
    rows[0]["name"] = "Renamed"
    ingest(store, "partners", write_csv(tmp_path / "p2.csv", rows))
    assert store.count_partners() == 5
    assert store.get_partner("P-0000").name == "Renamed"  # type: ignore[union-attr]


def test_malformed_csv_line_is_a_row_problem(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", partner_rows(3))
    with path.open("a", encoding="utf-8") as handle:
        handle.write("P-9,too,many,fields,a,b,c,d,e,f\n")
    report = ingest(store, "partners", path)
    assert not report.committed
    assert [(p.line, p.column) for p in report.problems] == [(5, "(row)")]
    assert "expected 7 fields, saw 10" in report.problems[0].message


def test_wrong_types_name_the_column(store: Store, tmp_path: Path) -> None:
    rows = partner_rows(2)
    rows[1]["employees"] = "forty"
    report = ingest(store, "partners", write_csv(tmp_path / "p.csv", rows))
    assert [(p.line, p.column) for p in report.problems] == [(3, "employees")]


def test_an_optional_paused_until_column_is_read_as_a_date(store: Store, tmp_path: Path) -> None:
    rows = partner_rows(3)
    rows[0]["paused_until"] = "2027-01-31"
    rows[1]["paused_until"] = ""  # blank: not paused
    report = ingest(
        store, "partners", write_csv(tmp_path / "p.csv", rows, [*COLUMNS, "paused_until"])
    )
    assert report.committed and report.warnings == []
    assert store.get_partner("P-0000").paused_until == date(2027, 1, 31)  # type: ignore[union-attr]
    assert store.get_partner("P-0001").paused_until is None  # type: ignore[union-attr]
    # read back without validation (the engine's path) it is a date too
    (_, stored), *_ = next(store.iter_partner_rows())
    assert stored.paused_until == date(2027, 1, 31)


def test_a_bad_paused_until_names_the_row_and_column(store: Store, tmp_path: Path) -> None:
    rows = partner_rows(3)
    for row in rows:
        row["paused_until"] = "2027-01-31"
    rows[2]["paused_until"] = "31/01/2027"
    path = write_csv(tmp_path / "p.csv", rows, [*COLUMNS, "paused_until"])
    report = ingest(store, "partners", path)
    assert not report.committed and store.count_partners() == 0
    assert [(p.line, p.column) for p in report.problems] == [(4, "paused_until")]
    assert "date" in report.problems[0].message


def test_over_long_field_is_rejected(store: Store, tmp_path: Path) -> None:
    rows = partner_rows(2)
    rows[0]["name"] = "N" * 500
    report = ingest(store, "partners", write_csv(tmp_path / "p.csv", rows))
    assert [(p.line, p.column) for p in report.problems] == [(2, "name")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        ((b"partner_id,name,partner_type\n"), "no data rows"),
        (b"partner_id,name\nP-1,A\n", "required column(s) missing: partner_type"),
        ("partner_id,name,partner_type\nP-1,Müller GmbH,isv\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_file_level_problems_raise_a_clear_error(
    store: Store, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ingest(store, "partners", path)
    assert store.count_partners() == 0


def test_unsupported_file_type_is_refused(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(IngestError, match="unsupported file type"):
        ingest(store, "partners", path)


def test_invalid_json_line_is_a_row_problem(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"partner_id": "P-1", "name": "A", "partner_type": "isv"}\n{oops\n[1]\n', encoding="utf-8"
    )
    report = ingest(store, "partners", path)
    assert [(p.line, p.column) for p in report.problems] == [(2, "(row)"), (3, "(row)")]
    assert store.count_partners() == 0


def test_unknown_columns_are_ignored_with_a_warning(store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [dict(r, shoe_size="42") for r in partner_rows(2)],
        [*COLUMNS, "shoe_size"],
    )
    report = ingest(store, "partners", path)
    assert report.committed
    assert report.warnings == ["ignored unknown column(s): shoe_size"]


def test_outcomes_must_reference_stored_partners(store: Store, tmp_path: Path) -> None:
    ingest(store, "partners", write_csv(tmp_path / "p.csv", partner_rows(2)))
    path = tmp_path / "o.csv"
    path.write_text(
        "deal_id,partner_id,role,industry,country,segment,deal_size,won,closed_on,cycle_days,csat,description\n"
        "D-1,P-0000,sourced,Pharma,Germany,mid_market,120000,true,2025-01-03,45,90,ERP rollout\n"
        "D-2,P-9999,influenced,retail,FR,smb,1000,false,2025-02-03,,,\n",
        encoding="utf-8",
    )
    report = ingest(store, "outcomes", path)
    assert [(p.line, p.column) for p in report.problems] == [(3, "partner_id")]
    assert store.count_outcomes() == 0
    report = ingest(store, "outcomes", path, skip_invalid=True)
    assert report.rows_loaded == 1
    frame = store.outcomes_frame()
    assert frame.loc[0, "industry"] == "life_sciences" and frame.loc[0, "country"] == "DE"


runner = CliRunner()


def test_cli_ingest_reports_problems_without_a_traceback(
    settings: Settings, tmp_path: Path
) -> None:
    rows = partner_rows(3)
    rows[2]["partner_type"] = "integratr"
    result = runner.invoke(app, ["ingest", "partners", str(write_csv(tmp_path / "p.csv", rows))])
    assert result.exit_code == 1
    assert "line 4, column partner_type: unknown partner_type 'integratr'" in result.output
    assert "nothing was loaded" in result.output
    assert "Traceback" not in result.output


def test_cli_ingest_loads_a_good_file(settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", "partners", str(write_csv(tmp_path / "p.csv", partner_rows(3)))]
    )
    assert result.exit_code == 0, result.output
    assert "loaded 3 partners" in result.output


def test_cli_ingest_of_a_missing_file_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "outcomes", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "no such file" in result.output
    assert "Traceback" not in result.output
