"""The seller console in a real browser: deal → ranked cards → feedback stored; empty → relax."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from matcher.feedback import feedback_for


def open_console(page: Any, web_stack: Any) -> None:
    page.goto(web_stack.base_url + "/")
    page.get_by_label("Seller API key").fill(web_stack.keys["seller"])
    expect(page.locator("#industry option[value=manufacturing]")).to_have_count(1)


def test_a_deal_gives_ranked_cards_with_four_cs_evidence_and_profile(
    page, web_stack, shoot
) -> None:
    open_console(page, web_stack)
    page.get_by_label("What the customer needs").fill(
        "Roll out portfolio management for a mid-size German car-parts maker"
    )
    page.get_by_label("Industry").select_option("manufacturing")
    page.get_by_label("Languages").fill("de")
    page.get_by_label("Country").fill("DE")
    page.get_by_label("Country").press("Enter")  # the keyboard submits the form

    cards = page.locator("li.card")
    expect(cards.first).to_be_visible()
    assert cards.count() == 10
    first = cards.first
    expect(first.locator(".rank")).to_have_text("#1")
    expect(first.locator(".score")).to_have_text(re.compile(r"^match [01]\.\d\d$"))
    assert first.locator(".four-cs .bar").count() == 4
    expect(first.locator(".chip", has_text="language")).to_contain_text("de")
    expect(first.locator(".reason")).not_to_be_empty()
    expect(first.locator(".type")).not_to_have_text("…")  # filled from GET /v1/partners/{id}
    expect(first.locator(".tier")).to_contain_text("tier")
    page.locator("#results-heading").evaluate("node => node.scrollIntoView()")
    shoot(page, "console", readme=True)


def test_rejecting_a_card_with_a_reason_stores_the_feedback(page, web_stack) -> None:
    open_console(page, web_stack)
    page.get_by_label("What the customer needs").fill("ERP data migration for a retailer")
    page.get_by_role("button", name="Find partners").click()
    card = page.locator("li.card").nth(1)
    expect(card).to_be_visible()
    partner_id = card.get_attribute("data-partner-id")

    card.get_by_role("button", name="Reject…").click()
    card.get_by_role("button", name="No capacity").click()
    expect(card.locator(".outcome")).to_have_text("Rejected (No capacity) — recorded.")
    expect(card.get_by_role("button", name="Accept")).to_be_disabled()

    events = feedback_for(web_stack.store, partner_id)
    assert [(e["kind"], e["reason"]) for e in events] == [("rejected", "no_capacity")]
    assert str(events[0]["recommendation_id"]).startswith("r_")


def test_reject_asks_for_a_reason_chip_and_never_shows_a_raw_validation_message(
    page, web_stack
) -> None:
    open_console(page, web_stack)
    page.get_by_label("What the customer needs").fill("Service desk for a hospital group")
    page.get_by_role("button", name="Find partners").click()
    card = page.locator("li.card").first
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.url.endswith("/v1/feedback") else None)
    reject = card.get_by_role("button", name="Reject…")
    reject.click()
    expect(reject).to_have_attribute("aria-expanded", "true")
    chips = card.get_by_role("group", name=re.compile("^Why reject"))
    expect(chips).to_be_visible()
    expect(card.locator(".outcome")).to_have_text("Choose a reason to reject.")
    expect(chips.get_by_role("button", name="No capacity")).to_be_focused()
    page.keyboard.press("Escape")  # closes the chips, focus back on Reject
    expect(chips).to_be_hidden()
    expect(reject).to_be_focused()
    assert posted == []  # nothing was sent without a reason
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the keyboard picks a reason chip: Wrong expertise
    page.keyboard.press("Enter")
    expect(card.locator(".outcome")).to_have_text("Rejected (Wrong expertise) — recorded.")
    expect(page.get_by_text("invalid request")).to_have_count(0)
    expect(page.get_by_text("Value error")).to_have_count(0)


def test_an_empty_result_names_the_constraint_and_relaxing_it_finds_partners(
    page, web_stack, shoot
) -> None:
    open_console(page, web_stack)
    page.get_by_label("What the customer needs").fill("Security rollout for a manufacturer")
    page.get_by_label("Country").fill("DE")
    page.get_by_label("Languages").fill("ja")
    page.get_by_label("Certifications").fill("Security Practitioner")
    page.get_by_role("button", name="Find partners").click()

    expect(page.locator("#empty-reason")).to_contain_text("certifications")
    expect(page.locator(".funnel li.emptied")).to_contain_text("Certifications")
    shoot(page, "console-empty")
    page.get_by_role("button", name="Search again with strict off").click()
    expect(page.locator("li.card").first).to_be_visible()
    assert page.get_by_label("Strict").is_checked() is False


def test_a_bad_field_shows_the_problem_detail(page, web_stack) -> None:
    open_console(page, web_stack)
    page.get_by_label("What the customer needs").fill("anything")
    page.get_by_label("Country").fill("Atlantis")
    page.get_by_role("button", name="Find partners").click()
    expect(page.get_by_role("alert")).to_contain_text("country")


def test_a_bad_field_after_an_answer_clears_the_old_results(page, web_stack) -> None:
    open_console(page, web_stack)
    page.get_by_label("What the customer needs").fill("ERP rollout for a manufacturer in Germany")
    page.get_by_role("button", name="Find partners").click()
    expect(page.locator("li.card").first).to_be_visible()
    expect(page.locator("#read-row")).to_be_visible()
    page.get_by_label("Country").fill("Atlantis")
    page.get_by_role("button", name="Find partners").click()
    expect(page.get_by_role("alert")).to_contain_text("country")
    expect(page.locator("li.card")).to_have_count(0)
    expect(page.locator("#read-row")).to_have_count(0)


def test_a_country_read_from_the_brief_is_a_chip_that_can_be_dropped_and_restored(
    page, web_stack, shoot
) -> None:
    open_console(page, web_stack)
    page.get_by_label("What the customer needs").fill(
        "ERP rollout for a manufacturer, the partner must be based in Germany"
    )
    requests: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda request: (
            requests.append(request.post_data_json)
            if request.url.endswith("/v1/recommendations")
            else None
        ),
    )
    page.get_by_role("button", name="Find partners").click()
    country = page.locator('#read-row [data-key="countries:DE"]')
    expect(country).to_have_attribute("data-applied", "constraint")
    expect(country).to_contain_text("Germany")
    expect(country.locator(".tag")).to_have_text("required")
    expect(page.locator('#read-row [data-key="industries:manufacturing"]')).to_contain_text(
        "Manufacturing"
    )
    expect(page.locator("li.card").first).to_be_visible()
    before = page.locator("li.card").evaluate_all("cards => cards.map(c => c.dataset.partnerId)")
    assert page.locator("li.card .chip", has_text="country").first.inner_text().endswith("DE")
    shoot(page, "console-read-chips")

    page.get_by_role("button", name="Ignore Germany and search again").click()
    expect(country).to_have_attribute("data-applied", "ignored")
    expect(country.locator("s")).to_have_text("Germany")
    assert requests[-1]["ignore_read"] == ["countries:DE"]
    assert requests[-1]["description"] == requests[0]["description"]
    # the other value read still applies, and no card is there for serving Germany any more
    expect(page.locator('#read-row [data-key="industries:manufacturing"]')).to_have_attribute(
        "data-applied", "preference"
    )
    expect(page.locator("li.card").first).to_be_visible()
    after = page.locator("li.card").evaluate_all("cards => cards.map(c => c.dataset.partnerId)")
    assert after != before
    expect(page.locator("li.card .chip", has_text="country")).to_have_count(0)
    undo = page.get_by_role("button", name="Use Germany again and search again")
    expect(undo).to_be_focused()  # focus stays on the chip the seller acted on
    shoot(page, "console-read-ignored")

    undo.click()
    expect(country).to_have_attribute("data-applied", "constraint")
    assert "ignore_read" not in requests[-1]


def test_an_answer_emptied_by_a_country_read_from_the_brief_offers_to_drop_it(
    page, web_stack
) -> None:
    open_console(page, web_stack)
    page.get_by_label("What the customer needs").fill(
        "ERP rollout, the partner must be based in Greece"
    )
    page.get_by_role("button", name="Find partners").click()
    expect(page.locator("#empty-reason")).to_contain_text("country")
    expect(page.locator('#read-row [data-key="countries:GR"]')).to_contain_text("required")
    page.get_by_role("button", name="Search again without the country read from the brief").click()
    expect(page.locator("li.card").first).to_be_visible()
    expect(page.locator('#read-row [data-key="countries:GR"]')).to_have_attribute(
        "data-applied", "ignored"
    )


def test_gibberish_shows_the_low_relevance_notice(page, web_stack, shoot) -> None:
    # "zzzz qqqq", not "asdf qwer zxcv": the fake embedder's 64 hashed buckets give the latter a
    # chance similarity of 0.43 to some profile (the real model flags it, test_recommender.py)
    open_console(page, web_stack)
    page.get_by_label("What the customer needs").fill("zzzz qqqq")
    page.get_by_role("button", name="Find partners").click()
    notice = page.locator("#low-relevance")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Low relevance")
    expect(notice).to_contain_text("not good fits")
    expect(page.locator("li.card").first).to_be_visible()  # still answered, flagged
    expect(page.locator("#read-row")).to_have_count(0)  # nothing was read
    shoot(page, "console-low-relevance")

    page.get_by_label("What the customer needs").fill("Service desk for a hospital group")
    page.get_by_role("button", name="Find partners").click()
    expect(page.locator("#read-row")).to_be_visible()
    expect(notice).to_have_count(0)  # the previous answer's notice is gone


def test_the_answers_other_warnings_are_shown_above_the_cards(page, web_stack) -> None:
    open_console(page, web_stack)
    page.get_by_label("What the customer needs").fill("Service desk for a hospital group")
    page.get_by_label("Certifications").fill("SAP Gold")
    page.get_by_label("Strict").uncheck()
    page.get_by_role("button", name="Find partners").click()
    expect(page.locator(".message.warning")).to_contain_text("no partner holds the certification")
    expect(page.locator("li.card").first).to_be_visible()
    expect(page.locator("#low-relevance")).to_have_count(0)


def test_the_key_stays_in_session_storage_never_in_the_url(page, web_stack) -> None:
    open_console(page, web_stack)
    page.reload()
    expect(page.get_by_label("Seller API key")).to_have_value(web_stack.keys["seller"])
    assert web_stack.keys["seller"] not in page.url
    assert page.evaluate("localStorage.length") == 0


def test_the_console_fits_a_390_px_phone_screen(browser, web_stack, shoot) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        open_console(page, web_stack)
        page.get_by_label("What the customer needs").fill("Campaign calendar for a retailer")
        page.get_by_role("button", name="Find partners").click()
        expect(page.locator("li.card").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        boxes = page.locator("li.card .compare-box")
        boxes.nth(0).check()
        boxes.nth(1).check()
        page.get_by_role("button", name="Compare side by side").click()
        expect(page.locator("#compare-table")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("li.card").first.get_by_role("button", name="Reject…").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shoot(page, "console-phone")
    finally:
        context.close()
