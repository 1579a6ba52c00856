"""Teams on the seller console in a real browser: an empty strict answer offers a team, the
team card says who covers what, and a whole team is accepted or rejected in one go."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from matcher.feedback import feedback_for
from tests.web.test_web_console import open_console


def ask_for_two_languages(page: Any, web_stack: Any) -> None:
    """No sample partner speaks both Chinese and Polish: the strict answer is empty."""
    open_console(page, web_stack)
    page.get_by_label("Industry").select_option("manufacturing")
    page.get_by_label("Languages").fill("zh, pl")
    page.get_by_label("Languages").press("Enter")
    expect(page.locator("#empty-reason")).to_contain_text("languages")


def test_an_empty_answer_offers_a_team_whose_card_says_who_covers_what(
    page, web_stack, shoot
) -> None:
    ask_for_two_languages(page, web_stack)
    offer = page.locator("#team-offer")
    expect(offer).to_contain_text("A team can cover this deal")
    offer.get_by_role("button", name="Find a team that covers it").press("Enter")

    first = page.locator("li.card.team").first
    expect(first).to_be_visible()
    expect(first.locator("h4")).to_be_focused()
    expect(first.locator(".covered")).to_have_text("Every requirement is covered.")
    members = first.locator("li.member")
    assert members.count() >= 2
    chips = first.locator("li.member .chip")
    expect(chips.filter(has_text="language zh")).to_have_count(1)
    expect(chips.filter(has_text="language pl")).to_have_count(1)
    href = members.first.get_by_role("link").get_attribute("href")
    assert href == f"/partners/{members.first.get_attribute('data-partner-id')}"
    shoot(page, "console-teams")

    first.get_by_role("button", name="Accept").click()
    expect(first.locator(".outcome")).to_have_text("Accepted — recorded.")
    expect(first.get_by_role("button", name="Reject…")).to_be_disabled()
    for member_id in members.evaluate_all("nodes => nodes.map(n => n.dataset.partnerId)"):
        events = feedback_for(web_stack.store, member_id)
        assert [(e["kind"], e["payload"]) for e in events][-1] == ("accepted", {"team_rank": 1})


def test_a_team_is_rejected_by_a_reason_chip_from_the_keyboard(page, web_stack) -> None:
    ask_for_two_languages(page, web_stack)
    page.get_by_role("button", name="Find a team that covers it").click()
    team = page.locator("li.card.team").last
    expect(team).to_be_visible()
    rank = int(team.get_attribute("data-team-rank") or 0)
    member_id = team.locator("li.member").first.get_attribute("data-partner-id")

    team.get_by_role("button", name="Reject…").press("Enter")
    chip = team.get_by_role("button", name="Wrong region")
    expect(team.locator(".reason-chip").first).to_be_focused()
    chip.focus()
    page.keyboard.press("Enter")
    expect(team.locator(".outcome")).to_have_text("Rejected (Wrong region) — recorded.")
    events = feedback_for(web_stack.store, member_id)
    assert (events[-1]["kind"], events[-1]["reason"], events[-1]["payload"]) == (
        "rejected",
        "wrong_region",
        {"team_rank": rank},
    )


def test_team_cards_fit_a_390_px_phone_screen(browser, web_stack) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        ask_for_two_languages(page, web_stack)
        page.get_by_role("button", name="Find a team that covers it").click()
        expect(page.locator("li.card.team").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
