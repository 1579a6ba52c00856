"""Working with the console's results in a real browser: sort and filter, partners at capacity
shown or hidden, 2–3 partners side by side, a summary copied for a CRM, the match-score legend,
coming back from a profile to the same results, and an error replacing stale results."""

from __future__ import annotations

import math
import re
from typing import Any

import httpx
from playwright.sync_api import expect

BRIEF = "ERP data migration and portfolio management for a manufacturer"


def open_console(page: Any, web_stack: Any) -> None:
    page.goto(web_stack.base_url + "/")
    page.get_by_label("Seller API key").fill(web_stack.keys["seller"])
    expect(page.locator("#industry option[value=manufacturing]")).to_have_count(1)


def search(page: Any, description: str = BRIEF) -> dict[str, Any]:
    page.get_by_label("What the customer needs").fill(description)
    with page.expect_response(lambda r: r.url.endswith("/v1/recommendations")) as answer:
        page.get_by_role("button", name="Find partners").click()
    expect(page.locator("li.card").first).to_be_visible()
    # the profiles (type, tier, countries) have been read once the type filter offers them
    expect(page.locator("#filter-type option")).not_to_have_count(1)
    return answer.value.json()  # type: ignore[no-any-return]


def card_ids(page: Any) -> list[str]:
    return page.locator("li.card:not([hidden])").evaluate_all(  # type: ignore[no-any-return]
        "cards => cards.map(c => c.dataset.partnerId)"
    )


def test_the_results_sort_and_filter_without_asking_again(page, web_stack) -> None:
    open_console(page, web_stack)
    answer = search(page)
    ranked = [r["partner_id"] for r in answer["results"]]
    assert card_ids(page) == ranked
    expect(page.locator("#shown")).to_have_text("Showing all 10.")

    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/v1/recommendations" in r.url else None)
    page.get_by_label("Sort by").select_option("capacity")
    by_capacity = sorted(answer["results"], key=lambda r: (-r["four_cs"]["capacity"], r["rank"]))
    assert card_ids(page) == [r["partner_id"] for r in by_capacity]
    page.get_by_label("Sort by").select_option("name")
    names = page.locator("li.card:not([hidden]) h3").all_inner_texts()
    assert names == sorted(names, key=str.lower)

    profiles = {
        pid: httpx.get(
            f"{web_stack.base_url}/v1/partners/{pid}",
            headers={"Authorization": f"Bearer {web_stack.keys['seller']}"},
        ).json()
        for pid in ranked
    }
    kind = profiles[ranked[0]]["partner_type"]
    page.get_by_label("Type", exact=True).select_option(kind)
    wanted = {pid for pid, p in profiles.items() if p["partner_type"] == kind}
    assert set(card_ids(page)) == wanted
    expect(page.locator("#shown")).to_contain_text(f"Showing {len(wanted)} of 10")
    country = profiles[ranked[0]]["countries"][0]
    page.get_by_label("Serves").select_option(country)
    both = {pid for pid in wanted if country in profiles[pid]["countries"]}
    assert set(card_ids(page)) == both
    tier = profiles[ranked[0]]["tier"] or "none"
    page.get_by_label("Tier", exact=True).select_option(tier)
    assert ranked[0] in card_ids(page)
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator("li.card")).to_have_count(10)
    expect(page.get_by_label("Type", exact=True)).to_be_focused()
    assert asked == []  # all of it in the page, no new request


def test_partners_at_capacity_are_shown_on_request_and_badged(page, web_stack) -> None:
    open_console(page, web_stack)
    full = httpx.get(
        f"{web_stack.base_url}/v1/partners?limit=1000",
        headers={"Authorization": f"Bearer {web_stack.keys['admin']}"},
    ).json()["partners"]
    at_capacity = {
        p["partner_id"]
        for p in full
        if p["active_projects"] is not None
        and p["max_projects"]
        and p["active_projects"] >= p["max_projects"]
    }
    assert at_capacity, "the sample has partners at capacity"
    page.get_by_label("What the customer needs").fill(BRIEF)
    page.get_by_label("How many").fill("100")
    page.get_by_role("button", name="Find partners").click()
    expect(page.locator("li.card").first).to_be_visible()
    assert not set(card_ids(page)) & at_capacity  # left out by default
    with page.expect_request(lambda r: r.url.endswith("/v1/recommendations")) as request:
        page.get_by_label("Show partners at capacity").check()
    assert request.value.post_data_json["include_at_capacity"] is True
    expect(page.locator("li.card.at-capacity").first).to_be_visible()
    badged = page.locator("li.card.at-capacity").evaluate_all(
        "cards => cards.map(c => c.dataset.partnerId)"
    )
    assert set(badged) <= at_capacity
    expect(page.locator("li.card.at-capacity .capacity-badge").first).to_have_text("at capacity")
    expect(page.get_by_label("Show partners at capacity")).to_be_focused()
    page.get_by_label("Show partners at capacity").uncheck()
    expect(page.locator("li.card.at-capacity")).to_have_count(0)


def js_round(value: float) -> str:
    """``Math.round`` as the page uses it (halves up; Python's ``round`` halves to even)."""
    return str(math.floor(value + 0.5))


def test_two_or_three_partners_compare_side_by_side(page, web_stack, shoot) -> None:
    open_console(page, web_stack)
    answer = search(page)
    boxes = page.locator("li.card .compare-box")
    boxes.nth(0).check()
    expect(page.get_by_role("button", name="Compare side by side")).to_be_disabled()
    boxes.nth(1).check()
    boxes.nth(2).check()
    expect(boxes.nth(3)).to_be_disabled()  # three at most
    page.get_by_role("button", name="Compare side by side").press("Enter")
    table = page.locator("#compare-table")
    expect(page.locator("#compare-heading")).to_be_focused()
    expect(page.locator("#compare-heading")).to_have_text("Comparing 3 partners")
    expect(table.locator("thead th")).to_have_count(3)
    for result in answer["results"][:3]:
        expect(table.locator("thead")).to_contain_text(result["name"])
    capacity = table.locator("tr", has=page.locator("th", has_text=re.compile("^Capacity$")))
    expect(capacity.first.locator("td")).to_have_text(
        [js_round(r["four_cs"]["capacity"]) for r in answer["results"][:3]]
    )
    expect(table.locator("tr", has_text="Why").locator("td").first).to_have_text(
        answer["results"][0]["reason"]
    )
    shoot(page, "console-compare")
    boxes.nth(2).uncheck()
    expect(page.locator("#compare-heading")).to_have_text("Comparing 2 partners")
    page.get_by_role("button", name="Close comparison").click()
    expect(page.locator("#compare")).to_be_hidden()


def test_a_summary_is_copied_for_a_crm(browser, web_stack) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_stack.base_url)
    page = context.new_page()
    try:
        open_console(page, web_stack)
        answer = search(page)
        first = answer["results"][0]
        page.locator("li.card").first.get_by_role("button", name="Copy for CRM").click()
        expect(page.locator("li.card").first.locator(".outcome")).to_have_text(
            "Copied this partner to the clipboard."
        )
        text = page.evaluate("navigator.clipboard.readText()")
        assert text.startswith(f"Partner recommendation for: {BRIEF}")
        assert answer["recommendation_id"] in text and "not a win probability" in text
        assert f"#1 {first['name']} ({first['partner_id']})" in text
        assert f"Match score {first['score']:.2f}; 4 Cs: Capacity" in text
        assert f"/partners/{first['partner_id']}" in text
        assert first["reason"] in text

        page.get_by_label("Sort by").select_option("capability")
        page.get_by_role("button", name="Copy summary for CRM").click()
        expect(page.locator("#shown")).to_have_text("Copied 10 partners to the clipboard.")
        everything = page.evaluate("navigator.clipboard.readText()")
        assert everything.count("   Why: ") == 10
        best = max(answer["results"], key=lambda r: (r["four_cs"]["capability"], -r["rank"]))
        assert everything.split("\n")[3].startswith(f"#{best['rank']} {best['name']}")
    finally:
        context.close()


def test_the_match_score_legend_says_it_is_not_a_probability(page, web_stack) -> None:
    open_console(page, web_stack)
    search(page)
    legend = page.locator("#score-legend")
    expect(legend).to_contain_text("not a probability of winning")
    expect(legend.locator(".band-legend")).to_contain_text("strong (65+)")
    score = page.locator("li.card .score").first
    expect(score).to_have_attribute("aria-describedby", "score-legend")
    expect(score).not_to_have_text(re.compile("%"))
    bands = set(page.locator("li.card .bar").evaluate_all("bars => bars.map(b => b.dataset.band)"))
    assert len(bands) >= 2  # coloured by band, not all one colour


def test_coming_back_from_a_profile_shows_the_same_results(page, web_stack) -> None:
    open_console(page, web_stack)
    answer = search(page)
    first = answer["results"][0]
    page.locator("li.card").first.get_by_role("link", name=first["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first["name"])
    page.go_back()
    expect(page.locator("li.card").first).to_be_visible()
    assert card_ids(page) == [r["partner_id"] for r in answer["results"]]
    expect(page.get_by_label("What the customer needs")).to_have_value(BRIEF)


def test_an_error_replaces_the_stale_results_and_their_tools(page, web_stack) -> None:
    open_console(page, web_stack)
    search(page)
    page.locator("li.card .compare-box").nth(0).check()
    page.locator("li.card .compare-box").nth(1).check()
    page.get_by_role("button", name="Compare side by side").click()
    page.get_by_label("Country").fill("Atlantis")
    page.get_by_role("button", name="Find partners").click()
    expect(page.get_by_role("alert")).to_contain_text("country")
    for stale in ("li.card", "#compare-table", ".toolbar", "#score-legend"):
        expect(page.locator(stale)).to_have_count(0)
    page.reload()  # the error is not brought back as old results either
    expect(page.locator("li.card")).to_have_count(0)
