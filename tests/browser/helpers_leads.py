"""Browser steps of the lead flow, reusable by other browser tests.

``make_web_form_setup()`` builds a team with a rep, an assignment rule routing web leads to the
team and an active web form; ``submit_web_form_and_convert(page, live_server, …)`` submits the
public form anonymously, logs in as the assigned rep, opens the lead from the lead list and
converts it, and returns the id of the opportunity it became (the page is left on the
opportunity, logged in as the rep). The kanban test of the sales pages continues from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

PASSWORD = "pw-Guanxi-2026"  # the factories' password


@dataclass(frozen=True)
class WebLead:
    person_name: str = "周杰"
    company: str = "杭州远景智能有限公司"
    mobile: str = "13712345678"
    email: str = "zhou.jie@yuanjing.cn"
    need: str = "想了解CRM的报价"
    opportunity_name: str = "远景智能 CRM 项目"
    amount: str = "180000"


def restore_lead_and_sales_defaults() -> None:
    """Put back what the lead and sales migrations add to the built-in roles (lead and
    opportunity rights) and the default pipeline: a transactional browser test empties the
    database, and the ``builtin_roles`` fixture restores only the core roles."""
    import importlib

    from django.apps import apps

    for module in (
        "guanxi.leads.migrations.0003_roles_policies_search",
        "guanxi.sales.migrations.0002_default_pipeline_and_roles",
    ):
        importlib.import_module(module).forwards(apps, None)


def make_web_form_setup(team_name: str = "Web sales", username: str = "web.rep") -> tuple[Any, Any]:
    """(rep, web form): an administrator's setup where every web lead goes to ``rep``'s team."""
    from guanxi.core.tests.factories import make_team, make_user
    from guanxi.leads import rules

    restore_lead_and_sales_defaults()
    admin = make_user("admin", username=f"{username}.admin")
    team = make_team(team_name)
    rep = make_user("sales_rep", team=team, username=username, first_name="网销")
    rules.create_assignment_rule(
        admin, {"name": "Web leads", "team": team, "sources": "web_form", "order": 1}
    )
    web_form = rules.create_web_form(
        admin,
        {
            "name": "联系我们",
            "source": "web_form",
            "fields": ["company", "mobile", "email", "need"],
            "thank_you_message": "谢谢！我们会尽快联系您。",
        },
    )
    return rep, web_form


def log_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto(reverse("login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(re.escape(reverse("home")) + r"$"))


def submit_web_form(page: Any, web_form: Any, lead: WebLead = WebLead()) -> None:
    """Fill in and send the hosted public form as an anonymous visitor; wait for the thanks."""
    page.goto(reverse("webforms:submit", args=[web_form.token]))
    page.fill("#id_person_name", lead.person_name)
    page.fill("#id_company", lead.company)
    page.fill("#id_mobile", lead.mobile)
    page.fill("#id_email", lead.email)
    page.fill("#id_need", lead.need)
    page.get_by_role("button", name="Send").click()
    page.locator("#thank-you").wait_for()


def convert_lead_in_browser(page: Any, lead_name: str, lead: WebLead = WebLead()) -> int:
    """From the lead list, open the lead, convert it with an opportunity; its id."""
    page.goto(reverse("leads:lead-list"))
    page.get_by_role("link", name=lead_name, exact=True).click()
    page.wait_for_url(re.compile(r"/leads/\d+/$"))
    page.locator("#convert-button").click()
    page.wait_for_url(re.compile(r"/leads/\d+/convert/$"))
    page.fill("#id_opportunity_name", lead.opportunity_name)
    page.fill("#id_amount", lead.amount)
    page.locator("#convert-submit").click()
    page.wait_for_url(re.compile(r"/sales/opportunities/\d+/$"))
    return int(re.search(r"/sales/opportunities/(\d+)/$", page.url).group(1))


def submit_web_form_and_convert(
    page: Any,
    live_server: Any,
    *,
    rep: Any = None,
    web_form: Any = None,
    lead: WebLead = WebLead(),
) -> int:
    """The web lead flow end to end; returns the id of the opportunity the lead became.

    Without ``rep`` and ``web_form`` it sets them up with :func:`make_web_form_setup`. The
    lead must land assigned to ``rep`` within the submit (no background job involved).
    """
    from guanxi.leads.models import Lead

    if rep is None or web_form is None:
        rep, web_form = make_web_form_setup()
    submit_web_form(page, web_form, lead)
    captured = Lead.objects.get(mobile=lead.mobile)
    assert captured.owner_id == rep.pk, "the web lead is assigned by the rules at once"
    log_in(page, rep.username)
    return convert_lead_in_browser(page, lead.person_name, lead)
