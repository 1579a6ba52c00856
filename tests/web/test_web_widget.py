"""The embeddable widget on a host page from another origin: allowed, refused, dismissed."""

from __future__ import annotations

import re

from playwright.sync_api import expect

WIDGET = "partnermatch-suggestions"


def test_an_allowed_origin_renders_suggestions_in_isolated_styles(page, web_stack, shoot):
    with page.expect_response(re.compile(r"/v1/widget/recommendations\?")) as answer:
        page.goto(web_stack.allowed_host_url)
    expect(page.locator(f"{WIDGET}[data-state=ready]")).to_have_count(1)

    partners = page.locator(f"{WIDGET} li.partner")  # Playwright pierces the open shadow root
    expect(partners).to_have_count(3)
    expect(partners.first.locator(".name")).not_to_be_empty()
    expect(partners.first.locator(".type")).to_have_text(re.compile(r"\w"))
    matching = [asset for p in answer.value.json()["partners"] for asset in p["matching_assets"]]
    expect(page.locator(f"{WIDGET} ul.assets li")).to_have_count(len(matching))
    # the host's `* { color: #ff00ff !important }` does not reach into the shadow DOM
    colour = partners.first.locator(".name").evaluate("node => getComputedStyle(node).color")
    assert colour == "rgb(28, 36, 48)"
    shoot(page, "widget", readme=True, clip={"x": 0, "y": 0, "width": 800, "height": 520})


def test_the_widget_shows_public_fields_only(page, web_stack):
    with page.expect_response(re.compile(r"/v1/widget/recommendations\?")) as answer:
        page.goto(web_stack.allowed_host_url)
    partners = answer.value.json()["partners"]
    assert partners
    internal = {"score", "four_cs", "revenue_12m", "csat", "deals_won_12m", "employees"}
    assert not internal & set(partners[0])


def test_an_unlisted_origin_gets_no_suggestions(page, web_stack, shoot):
    page.goto(web_stack.unlisted_host_url)
    expect(page.locator(f"{WIDGET}[data-state=error]")).to_have_count(1)
    assert page.locator(f"{WIDGET} li.partner").count() == 0
    expect(page.locator(WIDGET)).to_be_hidden()
    shoot(page, "widget-unlisted-origin")


def test_a_dismiss_is_remembered_across_page_loads(page, web_stack):
    page.goto(web_stack.allowed_host_url)
    page.get_by_role("button", name="Dismiss partner suggestions").click()
    expect(page.locator(WIDGET)).to_be_hidden()

    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.reload()
    expect(page.locator(f"{WIDGET}[data-state=dismissed]")).to_have_count(1)
    assert not [url for url in requests if "/v1/widget/" in url]


def test_the_demo_host_page_embeds_the_widget_with_a_pasted_key(page, web_stack):
    page.goto(web_stack.base_url + "/static/examples/widget-demo.html")
    page.get_by_label("Widget key").fill(web_stack.keys["widget"])
    page.get_by_role("button", name="Show suggestions").click()
    expect(page.locator(f"{WIDGET}[data-state=ready] li.partner").first).to_be_visible()
