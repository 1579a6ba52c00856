"""The recruiter page in a real browser: upload → table + histogram → re-weight → CSV download."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

EXAMPLE = Path(__file__).resolve().parents[2] / "api" / "static" / "examples" / "prospects.csv"
BAD_ROW = "N-BAD,Broken Row Ltd,notatype,,,,,,XX,,-3,,,,,,,,,\n"  # line 12 of the upload


@pytest.fixture
def prospects_file(tmp_path: Path) -> Path:
    """The example prospects (10 good rows) plus one bad row on line 12."""
    path = tmp_path / "prospects.csv"
    path.write_text(EXAMPLE.read_text() + BAD_ROW)
    return path


def open_recruiter(page: Any, web_stack: Any) -> None:
    page.goto(web_stack.base_url + "/recruiter")
    page.get_by_label("Recruiter API key").fill(web_stack.keys["recruiter"])


def overall_column(page: Any) -> list[float]:
    return [float(text) for text in page.locator("#prospect-rows td.overall").all_inner_texts()]


def test_upload_scores_the_batch_and_names_the_bad_row(page, web_stack, prospects_file, shoot):
    open_recruiter(page, web_stack)
    page.get_by_label("Prospects CSV or JSONL").set_input_files(prospects_file)
    page.get_by_role("button", name="Screen").click()

    expect(page.locator("#prospect-rows tr")).to_have_count(10)
    expect(page.locator("#summary")).to_have_text("11 row(s) read, 10 scored, 3 problem(s).")
    problems = page.locator("#problem-rows tr")
    expect(problems.filter(has_text="partner_type")).to_contain_text("12")
    expect(problems.filter(has_text="countries")).to_contain_text("unknown country 'XX'")
    expect(page.get_by_role("alert")).to_contain_text("line 12")
    assert page.locator("#histogram svg rect.hist-bar").count() >= 2
    scores = overall_column(page)
    assert scores == sorted(scores, reverse=True)  # best first by default
    expect(page.locator("#prospect-rows tr").first.locator(".band")).not_to_be_empty()
    page.locator("#message").evaluate("node => node.scrollIntoView()")
    shoot(page, "recruiter", readme=True)


def test_a_column_header_sorts_the_table_from_the_keyboard(page, web_stack, prospects_file):
    open_recruiter(page, web_stack)
    page.get_by_label("Prospects CSV or JSONL").set_input_files(prospects_file)
    page.get_by_role("button", name="Screen").click()
    expect(page.locator("#prospect-rows tr")).to_have_count(10)

    page.get_by_role("button", name="Overall", exact=True).press("Enter")
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("Overall")
    scores = overall_column(page)
    assert scores == sorted(scores)
    page.get_by_role("button", name="Prospect", exact=True).press("Enter")
    names = page.locator("#prospect-rows td strong").all_inner_texts()
    assert names == sorted(names, key=str.lower)


def test_moving_a_weight_slider_rescores_the_batch(page, web_stack, prospects_file):
    open_recruiter(page, web_stack)
    page.get_by_label("Prospects CSV or JSONL").set_input_files(prospects_file)
    page.get_by_role("button", name="Screen").click()
    row = page.locator('#prospect-rows tr[data-partner-id="N-001"] td.overall')
    before = row.inner_text()

    with page.expect_response(lambda r: "customer_fit=100" in r.url and r.status == 200):
        page.get_by_label("Customer fit").fill("100")
        # the fill fires the slider's change event, which re-posts with the weights
    expect(row).not_to_have_text(before)


def test_the_scored_csv_downloads_with_every_good_row(page, web_stack, prospects_file):
    open_recruiter(page, web_stack)
    page.get_by_label("Prospects CSV or JSONL").set_input_files(prospects_file)
    page.get_by_role("button", name="Screen").click()
    expect(page.locator("#prospect-rows tr")).to_have_count(10)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download scored CSV").click()
    download = download_info.value
    assert download.suggested_filename == "scored-prospects.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert len(rows) == 10
    assert {"capacity", "capability", "commitment", "customer_fit", "overall", "band"} <= set(
        rows[0]
    )


def test_a_file_without_the_required_columns_shows_the_problem(page, web_stack, tmp_path, shoot):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("company,city\nAcme,Berlin\n")
    open_recruiter(page, web_stack)
    page.get_by_label("Prospects CSV or JSONL").set_input_files(wrong)
    page.get_by_role("button", name="Screen").click()
    expect(page.get_by_role("alert")).to_contain_text("required column(s) missing")
    expect(page.locator("#problem-rows")).to_contain_text("partner_id, name, partner_type")
    expect(page.locator("#batch")).to_be_hidden()
    shoot(page, "recruiter-bad-file")
