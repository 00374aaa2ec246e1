"""The lead flow in a real browser: a visitor submits the public web form, the lead lands
assigned to a rep, the rep logs in, sees it and converts it into an opportunity.

(The sales pages' browser test continues from the opportunity: it drags it to won on the kanban
board, using ``submit_web_form_and_convert`` from ``helpers_leads``.)
"""

from __future__ import annotations

import pytest

from guanxi.customers.models import Account, Contact
from guanxi.leads.models import Lead
from guanxi.sales.models import Opportunity

from .helpers_leads import WebLead, make_web_form_setup, submit_web_form_and_convert

pytestmark = pytest.mark.browser


def test_web_form_lead_is_assigned_and_converted_by_the_rep(page, live_server):
    rep, web_form = make_web_form_setup()
    lead_input = WebLead()

    opportunity_id = submit_web_form_and_convert(
        page, live_server, rep=rep, web_form=web_form, lead=lead_input
    )

    lead = Lead.objects.get(mobile=lead_input.mobile)
    opportunity = Opportunity.objects.get(pk=opportunity_id)
    assert lead.status == "converted"
    assert lead.converted_opportunity_id == opportunity_id
    assert (opportunity.name, opportunity.owner, str(opportunity.amount)) == (
        lead_input.opportunity_name,
        rep,
        "180000.00",
    )
    assert Account.objects.get().name == lead_input.company
    assert Contact.objects.get().email == lead_input.email
    assert lead_input.opportunity_name in page.locator("#record-title").inner_text()
