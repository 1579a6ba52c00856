"""The recruiter page in a real browser: upload → a saved batch (table, histogram, problems) →
paging and search → statuses that survive a reload → re-weighting → the scored CSV; summarised
gaps, look-alike names; keyboard use and a 390-px screen."""

from __future__ import annotations

import csv
import io
import re
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


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    """60 prospects, "Prospect 01" … "Prospect 60", serving GB only (4 target regions missed)."""
    header = EXAMPLE.read_text().splitlines()[0]
    columns = header.split(",")
    rows = []
    for number in range(1, 61):
        values = dict.fromkeys(columns, "")
        values.update(
            partner_id=f"B-{number:03d}",
            name=f"Prospect {number:02d} Ltd",
            partner_type="consultancy",
            description="Portfolio management consulting",
            countries="GB",
            employees=str(5 * number),
            certified_staff=str(number % 7),
            dedicated_manager="false",
        )
        rows.append(",".join(values[c] for c in columns))
    path = tmp_path / "big.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def open_recruiter(page: Any, web_stack: Any) -> None:
    page.goto(web_stack.base_url + "/recruiter")
    page.get_by_label("Recruiter API key").fill(web_stack.keys["recruiter"])


def upload(page: Any, path: Path) -> None:
    page.get_by_label("Prospects CSV or JSONL").set_input_files(path)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/v1/screening-batches"),
        timeout=30_000,  # the first screening of a session builds the look-alike index
    ):
        page.get_by_role("button", name="Screen and save").click()


def overall_column(page: Any) -> list[float]:
    return [float(text) for text in page.locator("#prospect-rows td.overall").all_inner_texts()]


def test_upload_saves_a_batch_and_names_the_bad_row(page, web_stack, prospects_file, shoot):
    open_recruiter(page, web_stack)
    upload(page, prospects_file)

    expect(page.locator("#prospect-rows tr")).to_have_count(10)
    expect(page.locator("#summary")).to_contain_text("11 row(s) read, 10 scored, 3 problem(s).")
    expect(page).to_have_url(re.compile(r"/recruiter\?batch=b_[0-9a-f]{16}$"))
    problems = page.locator("#problem-rows tr")
    expect(problems.filter(has_text="partner_type")).to_contain_text("12")
    expect(problems.filter(has_text="countries")).to_contain_text("unknown country 'XX'")
    expect(page.get_by_role("alert")).to_contain_text("line 12")
    assert page.locator("#histogram svg rect.hist-bar").count() >= 2
    scores = overall_column(page)
    assert scores == sorted(scores, reverse=True)  # best first by default
    expect(page.locator("#prospect-rows tr").first.locator(".band")).not_to_be_empty()
    # look-alikes by name (with the id), not bare ids
    alike = page.locator("#prospect-rows .looks-like div").first
    expect(alike).to_have_text(re.compile(r"^\S.* \(P-\d{6}, 0\.\d\d\)$"))
    # the regions a prospect misses are one summarised gap
    gaps = page.locator('tr[data-partner-id="N-002"] td').nth(7).text_content() or ""
    assert re.search(r"covers \d of 5 target regions \(not ", gaps), gaps
    expect(page.locator("#prospect-rows")).not_to_contain_text(re.compile(r"no \w+ coverage"))
    expect(page.locator("#saved-batches")).to_contain_text("prospects.csv")
    page.locator("#batch-heading").evaluate("node => node.scrollIntoView()")
    shoot(page, "recruiter", readme=True)


def test_a_status_survives_a_reload(page, web_stack, prospects_file) -> None:
    open_recruiter(page, web_stack)
    upload(page, prospects_file)
    status = page.get_by_label("Status of Harbour Lane Consulting Ltd")
    with page.expect_response(lambda r: r.request.method == "PATCH" and r.status == 200):
        status.select_option("contacted")
    expect(page.locator('tr[data-partner-id="N-002"] .status-saved')).to_have_text("Saved")
    expect(page.locator('.pipeline-step[data-status="contacted"] .count')).to_have_text("1")
    url = page.url

    page.reload()  # the key stays in the tab; the batch comes back from the database
    expect(page).to_have_url(url)
    expect(page.locator("#prospect-rows tr")).to_have_count(10)
    expect(page.get_by_label("Status of Harbour Lane Consulting Ltd")).to_have_value("contacted")
    page.locator('.pipeline-step[data-status="contacted"]').click()
    expect(page.locator("#prospect-rows tr")).to_have_count(1)
    expect(page.locator("#prospect-rows tr")).to_have_attribute("data-partner-id", "N-002")
    page.get_by_label("Status", exact=True).select_option("")
    expect(page.locator("#prospect-rows tr")).to_have_count(10)


def test_a_big_batch_is_paged_and_searched(page, web_stack, big_file, shoot) -> None:
    open_recruiter(page, web_stack)
    upload(page, big_file)
    rows = page.locator("#prospect-rows tr")
    expect(rows).to_have_count(25)  # a page, not the whole batch
    status = page.locator("#page-status")
    expect(status).to_have_text("Showing 1–25 of 60 · page 1 of 3")
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    first_page = rows.evaluate_all("rs => rs.map(r => r.dataset.partnerId)")
    page.get_by_role("button", name="Next").click()
    expect(status).to_have_text("Showing 26–50 of 60 · page 2 of 3")
    second_page = rows.evaluate_all("rs => rs.map(r => r.dataset.partnerId)")
    assert not set(first_page) & set(second_page)
    page.get_by_role("button", name="Next").press("Enter")  # the keyboard pages too
    expect(status).to_have_text("Showing 51–60 of 60 · page 3 of 3")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()

    search = page.get_by_label("Search prospects")
    search.fill("prospect 42")
    search.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Prospect 42 Ltd")
    expect(status).to_have_text("Showing 1–1 of 1 · page 1 of 1")
    assert "covers 1 of 5 target regions (not DACH, North America, Nordics, Benelux)" in (
        rows.first.text_content() or ""
    )
    search.fill("")
    search.press("Enter")
    page.get_by_label("Rows per page").select_option("50")
    expect(rows).to_have_count(50)
    expect(status).to_have_text("Showing 1–50 of 60 · page 1 of 2")
    shoot(page, "recruiter-paged")


def test_a_column_header_sorts_the_batch_from_the_keyboard(page, web_stack, prospects_file):
    open_recruiter(page, web_stack)
    upload(page, prospects_file)
    expect(page.locator("#prospect-rows tr")).to_have_count(10)

    page.get_by_role("button", name="Overall", exact=True).press("Enter")
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("Overall")
    expect(page.get_by_role("button", name="Overall", exact=True)).to_be_focused()
    scores = overall_column(page)
    assert scores == sorted(scores)
    page.get_by_role("button", name="Prospect", exact=True).press("Enter")
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("Prospect")
    names = page.locator("#prospect-rows td strong").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    # a status from the keyboard: focus the select and pick with the arrow keys
    select = page.get_by_label("Status of Harbour Lane Consulting Ltd")
    select.focus()
    with page.expect_response(lambda r: r.request.method == "PATCH"):
        select.select_option("onboarding")
    expect(select).to_have_value("onboarding")


def test_moving_a_weight_slider_rescores_the_saved_batch(page, web_stack, prospects_file):
    open_recruiter(page, web_stack)
    upload(page, prospects_file)
    row = page.locator('#prospect-rows tr[data-partner-id="N-001"] td.overall')
    before = row.inner_text()
    page.get_by_label("Status of Nordwerk Integration GmbH").select_option("onboarding")
    expect(page.locator('tr[data-partner-id="N-001"] .status-saved')).to_have_text("Saved")

    with page.expect_request(lambda r: r.method == "PUT" and r.url.endswith("/weights")) as request:
        page.get_by_label("Customer fit").fill("100")
    assert request.value.post_data_json["customer_fit"] == 100
    expect(row).not_to_have_text(before)
    expect(page.get_by_label("Status of Nordwerk Integration GmbH")).to_have_value("onboarding")


def test_the_scored_csv_downloads_with_names_and_statuses(page, web_stack, prospects_file):
    open_recruiter(page, web_stack)
    upload(page, prospects_file)
    expect(page.locator("#prospect-rows tr")).to_have_count(10)
    page.get_by_label("Status of Nordwerk Integration GmbH").select_option("contacted")
    expect(page.locator('tr[data-partner-id="N-001"] .status-saved')).to_have_text("Saved")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download scored CSV").click()
    download = download_info.value
    assert download.suggested_filename == "scored-prospects.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert len(rows) == 10
    assert {"capacity", "capability", "commitment", "customer_fit", "overall", "band"} <= set(
        rows[0]
    )
    by_id = {r["partner_id"]: r for r in rows}
    assert by_id["N-001"]["status"] == "contacted" and by_id["N-002"]["status"] == "new"
    assert all(re.search(r" \(P-\d{6}\)", r["looks_like"]) for r in rows if r["looks_like"])


def test_a_saved_batch_reopens_from_the_list(page, web_stack, prospects_file) -> None:
    open_recruiter(page, web_stack)
    upload(page, prospects_file)
    expect(page.locator("#prospect-rows tr")).to_have_count(10)
    page.goto(web_stack.base_url + "/recruiter")  # no batch in the address
    expect(page.locator("#batch")).to_be_hidden()
    page.locator("#batches-table tbody tr").first.get_by_role(
        "button", name=re.compile("^Open")
    ).click()
    expect(page.locator("#prospect-rows tr")).to_have_count(10)
    expect(page.locator("#batch-heading")).to_be_focused()


def test_a_file_without_the_required_columns_shows_the_problem(page, web_stack, tmp_path, shoot):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("company,city\nAcme,Berlin\n")
    open_recruiter(page, web_stack)
    upload(page, wrong)
    expect(page.get_by_role("alert")).to_contain_text("required column(s) missing")
    expect(page.locator("#problem-rows")).to_contain_text("partner_id, name, partner_type")
    expect(page.locator("#batch")).to_be_hidden()
    shoot(page, "recruiter-bad-file")


def test_the_recruiter_page_fits_a_390_px_screen(browser, web_stack, prospects_file, shoot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        open_recruiter(page, web_stack)
        upload(page, prospects_file)
        expect(page.locator("#prospect-rows tr")).to_have_count(10)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shoot(page, "recruiter-phone")
    finally:
        context.close()
