"""The partner profile page in a real browser: from a result to the profile (keyboard), 4 C bars
coloured by band, evidence, certifications with expiry, scorecard charts from the local uPlot,
recent recommendations and feedback; a phone-width viewport; nothing loaded from elsewhere."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

BAND_COLOURS = {
    "strong_fit": "rgb(30, 123, 74)",
    "possible_fit": "rgb(201, 138, 18)",
    "weak_fit": "rgb(192, 80, 74)",
}


def open_console(page: Any, web_stack: Any) -> None:
    page.goto(web_stack.base_url + "/")
    page.get_by_label("Seller API key").fill(web_stack.keys["seller"])
    expect(page.locator("#industry option[value=manufacturing]")).to_have_count(1)


def search(page: Any, description: str) -> dict[str, Any]:
    page.get_by_label("What the customer needs").fill(description)
    with page.expect_response(lambda r: r.url.endswith("/v1/recommendations")) as answer:
        page.get_by_role("button", name="Find partners").click()
    expect(page.locator("li.card").first).to_be_visible()
    return answer.value.json()  # type: ignore[no-any-return]


def api(web_stack: Any, role: str) -> httpx.Client:
    return httpx.Client(
        base_url=web_stack.base_url, headers={"Authorization": f"Bearer {web_stack.keys[role]}"}
    )


def band_of(value: float) -> str:
    return "strong_fit" if value >= 65 else "possible_fit" if value >= 45 else "weak_fit"


def test_a_result_opens_the_profile_from_the_keyboard_with_bars_charts_and_activity(
    page, web_stack, shoot
) -> None:
    open_console(page, web_stack)
    answer = search(page, "ERP data migration for a manufacturer in Germany")
    first = answer["results"][0]
    with api(web_stack, "seller") as seller:
        seller.post(
            "/v1/feedback",
            json={
                "kind": "rejected",
                "reason": "wrong_region",
                "recommendation_id": answer["recommendation_id"],
                "partner_id": first["partner_id"],
            },
        ).raise_for_status()
        quarters = seller.get(f"/v1/partners/{first['partner_id']}/scorecard").json()["quarters"]

    link = page.locator("li.card").first.get_by_role("link", name=first["name"])
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/partners/{re.escape(first['partner_id'])}$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(first["name"])
    expect(heading).to_be_focused()  # the key came along in the tab's session storage

    bars = page.locator("#four-cs .bar")
    expect(bars).to_have_count(4)
    for bar in bars.all():
        value = int(re.search(r"(\d+) of 100", bar.get_attribute("aria-label") or "")[1])  # type: ignore[index]
        band = bar.get_attribute("data-band")
        assert band == band_of(value)
        colour = bar.locator("span").evaluate("node => getComputedStyle(node).backgroundColor")
        assert colour == BAND_COLOURS[band]
    expect(page.locator(".band-legend")).to_contain_text("strong (65+)")
    expect(page.locator('.evidence[data-c="capacity"] li').first).to_be_visible()
    expect(page.locator('.evidence[data-c="customer_fit"]')).to_contain_text("target regions")

    charts = page.locator("#charts figure.chart")
    expect(charts).to_have_count(4)
    expect(charts.locator("canvas")).to_have_count(4)  # drawn by uPlot
    win_rate = page.locator("#chart-win-rate .chart-canvas")
    expect(win_rate).to_have_attribute("aria-label", re.compile(r"n=\d+"))
    heading.evaluate("node => node.scrollIntoView()")
    shoot(page, "partner", readme=True)
    page.get_by_text("The figures as a table").click()
    expect(page.locator("#scorecard-table tbody tr")).to_have_count(len(quarters))

    row = page.locator(
        f'#recent-recommendations tr[data-recommendation-id="{answer["recommendation_id"]}"]'
    )
    expect(row).to_contain_text("#1 of")
    expect(row).to_contain_text("rejected: wrong region")
    expect(page.locator("#recent-feedback")).to_contain_text("rejected: wrong region")
    expect(page.locator("#feedback-totals")).to_contain_text("wrong region 1")

    page.get_by_role("link", name="Back to the seller console").click()
    expect(page).to_have_url(web_stack.base_url + "/")


@pytest.fixture
def certified_partner(web_stack) -> Any:
    """A partner with certifications expired, expiring and valid, a website and a contact;
    removed afterwards so that the other tests see the sample alone."""
    today = date.today()
    profile = {
        "partner_id": "P-WEB-CERTS",
        "name": "Quillon Certification Works",
        "partner_type": "consultancy",
        "description": "Quillon zebrafinch xylograph works",
        "countries": ["DE"],
        "certifications": [
            {"name": "Old Badge", "holders": 2, "expires_on": str(today - timedelta(days=10))},
            {"name": "Soon Badge", "holders": 3, "expires_on": str(today + timedelta(days=20))},
            {"name": "Long Badge", "holders": 4, "expires_on": str(today + timedelta(days=400))},
            "Forever Badge:5",
        ],
        "website": "quillon.example",
        "contact": "Dana Vogel, dana@quillon.example",
        "active_projects": 4,
        "max_projects": 4,
    }
    with api(web_stack, "admin") as admin:
        admin.put(f"/v1/partners/{profile['partner_id']}", json=profile).raise_for_status()
        yield profile
        admin.delete(f"/v1/partners/{profile['partner_id']}")


def test_certifications_show_their_expiry_and_the_contact_is_linked(
    page, web_stack, certified_partner
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(web_stack.base_url + "/")
    page.get_by_label("Seller API key").fill(web_stack.keys["seller"])
    page.goto(f"{web_stack.base_url}/partners/{certified_partner['partner_id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(certified_partner["name"])

    table = page.locator("#certifications-table tbody tr")
    expect(table).to_have_count(4)
    expect(table.nth(0)).to_contain_text("Old Badge")
    expect(table.nth(0).locator(".cert-status.expired")).to_have_text("expired 10 days ago")
    expect(table.nth(1).locator(".cert-status.expiring")).to_have_text("expires in 20 days")
    expect(table.nth(2).locator(".cert-status.valid")).to_have_text("valid")
    expect(table.nth(3)).to_contain_text("no expiry on file")
    website = page.locator("#website")
    expect(website).to_have_attribute("href", "https://quillon.example/")
    expect(website).to_have_attribute("rel", "noopener noreferrer")
    expect(page.locator("#contact-text")).to_have_text("Dana Vogel, dana@quillon.example")
    expect(page.locator("#facts")).to_contain_text("4 of 4 project slots in use — at capacity")
    expect(page.locator("#scorecard")).to_contain_text("No deal outcomes recorded")
    expect(page.locator("#no-recommendations")).to_be_visible()
    # every script, style and API call came from the app itself: no CDN
    assert requests and all(url.startswith(web_stack.base_url) for url in requests), requests


def test_an_unknown_partner_and_a_missing_key_say_what_to_do(page, web_stack) -> None:
    page.goto(web_stack.base_url + "/partners/P-NOPE")
    expect(page.get_by_role("alert")).to_contain_text("Enter your seller API key")
    expect(page.locator("#profile")).to_be_hidden()
    page.get_by_label("Seller API key").fill(web_stack.keys["seller"])
    page.get_by_label("Seller API key").press("Enter")
    expect(page.get_by_role("alert")).to_have_text("No partner with id P-NOPE.")
    expect(page.locator("#profile")).to_be_hidden()


def test_a_widget_key_is_refused_with_the_reason(page, web_stack) -> None:
    page.goto(web_stack.base_url + "/partners/P-000001")
    page.get_by_label("Seller API key").fill(web_stack.keys["widget"])
    page.get_by_role("button", name="Show profile").click()
    expect(page.get_by_role("alert")).to_contain_text("may not use this endpoint")


def test_the_profile_fits_a_390_px_screen(browser, web_stack, shoot) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        busiest = web_stack.store.outcomes_frame()["partner_id"].value_counts().index[0]
        page.goto(f"{web_stack.base_url}/partners/{busiest}")
        page.get_by_label("Seller API key").fill(web_stack.keys["seller"])
        page.get_by_role("button", name="Show profile").click()
        expect(page.locator("#charts canvas")).to_have_count(4)
        expect(page.locator("#four-cs .bar")).to_have_count(4)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        widths = page.locator("#charts canvas").evaluate_all(
            "nodes => nodes.map(n => n.getBoundingClientRect().right)"
        )
        assert max(widths) <= 390
        shoot(page, "partner-phone")
    finally:
        context.close()
