"""The pipeline in a real browser: drag opportunities across the kanban board.

Issue 5's browser acceptance: a rep opens the board, drags an opportunity card to "Closed won",
sees it there after a reload (and the account's last deal won is stamped); a drop on "Closed
lost" asks for the loss reason; and the whole flow from the public web form: the lead lands
assigned, the rep converts it and drags the opportunity to won.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from guanxi.core.tests.factories import make_team, make_user
from guanxi.customers.models import Account
from guanxi.customers.services import create_account
from guanxi.sales.models import Opportunity, Pipeline
from guanxi.sales.services import create_opportunity

pytestmark = pytest.mark.browser


def restore_sales_defaults() -> None:
    """The default pipeline and the sales rights of the built-in roles (migration 0002): a
    transactional browser test empties the database, and ``builtin_roles`` restores only the
    core roles."""
    importlib.import_module("guanxi.sales.migrations.0002_default_pipeline_and_roles").forwards(
        apps, None
    )


def column(page, stage_name: str):
    return page.locator(f'.board-column[data-stage-name="{stage_name}"]')


def drag_to(page, card_selector: str, stage_name: str) -> None:
    """Drag a card onto a column with the mouse, in small steps as a person does (HTML5 drag
    and drop starts only once the pointer moves with the button held)."""
    page.set_viewport_size({"width": 1800, "height": 900})  # all six columns on screen
    target = column(page, stage_name)
    source = page.locator(card_selector)
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 20, start["y"] + 20)
    page.mouse.down()
    page.mouse.move(start["x"] + 40, start["y"] + 40, steps=5)
    page.mouse.move(end["x"] + 30, end["y"] + 60, steps=10)
    page.mouse.up()


@pytest.fixture
def rep_with_deal(db):
    restore_sales_defaults()
    team = make_team("华东销售")
    rep = make_user("sales_rep", team=team, username="zhang.wei", first_name="张伟")
    account = create_account(rep, {"name": "上海明华贸易有限公司"})
    opportunity = create_opportunity(
        rep,
        {
            "name": "明华 ERP 升级",
            "account": account,
            "amount": Decimal("260000"),
            "expected_close_date": dt.date.today() + dt.timedelta(days=30),
        },
    )
    return rep, account, opportunity


def test_rep_drags_a_card_to_closed_won_and_it_stays_there(logged_in_page, rep_with_deal):
    rep, account, opportunity = rep_with_deal
    page = logged_in_page(rep, reverse("sales:board"))
    card = f"#card-{opportunity.pk}"
    assert column(page, "Prospecting").locator(card).count() == 1

    drag_to(page, card, "Closed won")

    page.locator("#board-message.alert-success").wait_for()
    assert "Closed won" in page.locator("#board-message").inner_text()
    won_head = column(page, "Closed won").locator("[data-count]")
    assert won_head.inner_text() == "1"
    page.reload()
    assert column(page, "Closed won").locator(card).count() == 1
    assert column(page, "Prospecting").locator(card).count() == 0
    assert "¥260,000.00" in column(page, "Closed won").locator("header").inner_text()
    assert Opportunity.objects.get(pk=opportunity.pk).stage.name == "Closed won"
    assert Account.objects.get(pk=account.pk).last_won_at is not None


def test_drop_on_lost_asks_for_the_reason(logged_in_page, rep_with_deal):
    rep, _account, opportunity = rep_with_deal
    page = logged_in_page(rep, reverse("sales:board"))
    card = f"#card-{opportunity.pk}"

    drag_to(page, card, "Closed lost")
    page.locator("#loss-modal.show").wait_for()
    page.locator("#loss-submit").click()  # empty: refused in the dialog
    assert "is-invalid" in page.locator("#loss-reason-input").get_attribute("class")
    page.fill("#loss-reason-input", "预算被砍")
    page.locator("#loss-submit").click()

    page.locator("#board-message.alert-success").wait_for()
    assert column(page, "Closed lost").locator(card).count() == 1
    current = Opportunity.objects.get(pk=opportunity.pk)
    assert (current.stage.name, current.loss_reason) == ("Closed lost", "预算被砍")


def test_a_card_moved_by_someone_else_is_not_overwritten(logged_in_page, rep_with_deal):
    from guanxi.sales.services import move_stage

    rep, _account, opportunity = rep_with_deal
    page = logged_in_page(rep, reverse("sales:board"))
    card = f"#card-{opportunity.pk}"
    negotiation = Pipeline.default().stages.get(name="Negotiation")
    move_stage(rep, opportunity, negotiation, expected_version=opportunity.version)

    drag_to(page, card, "Proposal")

    page.locator("#board-message.alert-warning").wait_for()
    assert "Someone else changed" in page.locator("#board-message").inner_text()
    assert column(page, "Negotiation").locator(card).count() == 1
    assert Opportunity.objects.get(pk=opportunity.pk).stage.name == "Negotiation"


def test_web_form_lead_to_won_deal_on_the_board(page, live_server):
    """Issue 5's whole flow: public web form → lead assigned → converted by the rep →
    dragged to won on the kanban board."""
    from .helpers_leads import WebLead, submit_web_form_and_convert

    lead = WebLead()
    opportunity_id = submit_web_form_and_convert(page, live_server, lead=lead)

    page.locator("#board-button").click()
    page.wait_for_url(re.compile(r"/sales/board/"))
    card = f"#card-{opportunity_id}"
    assert column(page, "Prospecting").locator(card).count() == 1
    drag_to(page, card, "Closed won")
    page.locator("#board-message.alert-success").wait_for()
    page.reload()

    assert column(page, "Closed won").locator(card).count() == 1
    opportunity = Opportunity.objects.get(pk=opportunity_id)
    assert opportunity.stage.name == "Closed won" and opportunity.closed_at is not None
    assert Account.objects.get(pk=opportunity.account_id).name == lead.company
    assert Account.objects.get(pk=opportunity.account_id).last_won_at is not None


def test_a_card_moves_without_a_mouse_through_its_move_to_list(logged_in_page, rep_with_deal):
    rep, _account, opportunity = rep_with_deal
    page = logged_in_page(rep, reverse("sales:board"))
    card = f"#card-{opportunity.pk}"

    page.locator(f"{card} [data-move-select]").select_option(label="Proposal")

    page.locator("#board-message.alert-success").wait_for()
    assert column(page, "Proposal").locator(card).count() == 1
    assert Opportunity.objects.get(pk=opportunity.pk).stage.name == "Proposal"
