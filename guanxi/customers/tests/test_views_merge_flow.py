"""Duplicates, the merge page and its undo, and the customer flow report."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.core import services as core
from guanxi.core.models import DeletedRecord, Tag
from guanxi.customers import selectors
from guanxi.customers.models import Account, ClassTransition, Contact
from guanxi.customers.services import (
    change_relationship_class,
    create_account,
    create_contact,
)

pytestmark = pytest.mark.django_db

MERGE = reverse("customers:account-merge")
FLOW = reverse("customers:flow-report")
VALID_USCC = "91350100M000100Y43"


# --------------------------------------------------------------------------------------------
# likely duplicates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "core_name"),
    [
        ("北京星辰科技有限公司", "北京星辰科技"),
        ("北京星辰科技集团股份有限公司", "北京星辰科技"),
        ("北京星辰科技（集团）", "北京星辰科技"),
        ("北京星辰科技有限责任公司", "北京星辰科技"),
        ("Acme Co., Ltd.", "acme"),
        ("ACME Trading Limited", "acmetrading"),
        ("有限公司", "有限公司"),
    ],
)
def test_normalised_name_drops_legal_form(name, core_name):
    assert selectors.normalised_name(name) == core_name


def test_likely_duplicates_by_identifiers_and_name(org):
    rep = org.east_rep
    by_tax = create_account(rep, {"name": "Alpha", "tax_number": VALID_USCC})
    by_phone = create_account(rep, {"name": "Beta", "phone": "010-8888 6666"})
    by_email = create_account(rep, {"name": "Gamma", "email": "sales@delta.cn"})
    by_name = create_account(rep, {"name": "北京星辰科技股份有限公司"})
    homophone = create_account(rep, {"name": "北京星晨科技有限公司", "city": "北京"})
    create_account(rep, {"name": "Unrelated"})
    hidden = create_account(org.west_rep, {"name": "北京星辰科技有限公司"})

    found = selectors.likely_duplicates(
        rep,
        name="北京星辰科技有限公司",
        tax_number=VALID_USCC.lower(),
        phone="01088886666",
        email="SALES@delta.cn",
        city="北京",
    )

    reasons = {d.account.pk: [str(r) for r in d.reasons] for d in found}
    assert reasons == {
        by_tax.pk: ["same unified social credit code"],
        by_phone.pk: ["same phone"],
        by_email.pk: ["same email"],
        by_name.pk: ["same name"],
        homophone.pk: ["name sounds the same"],
    }
    assert hidden.pk not in reasons
    assert found[0].account == by_tax  # identifiers rank above names


def test_find_duplicate_accounts_excludes_the_account_itself(org):
    account = create_account(org.east_rep, {"name": "星辰科技有限公司"})
    twin = create_account(org.east_rep, {"name": "星辰科技"})

    found = selectors.find_duplicate_accounts(org.east_rep, account)

    assert [d.account for d in found] == [twin]


def test_find_duplicates_panel_on_account_page(client, org):
    account = create_account(org.east_rep, {"name": "星辰科技有限公司"})
    twin = create_account(org.east_rep, {"name": "星辰科技"})
    client.force_login(org.east_rep)

    response = client.get(
        reverse("customers:account-duplicates", args=[account.pk]), headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert f'data-duplicate="{twin.pk}"' in html
    assert f"survivor={account.pk}&amp;duplicate={twin.pk}" in html


# --------------------------------------------------------------------------------------------
# merge
# --------------------------------------------------------------------------------------------


@pytest.fixture
def pair(org):
    rep = org.east_rep
    keep = create_account(rep, {"name": "星辰科技", "city": "北京", "phone": ""})
    dup = create_account(rep, {"name": "星辰科技有限公司", "city": "上海", "phone": "010-12345678"})
    dup.tags.add(Tag.objects.create(name="Imported"))
    contact = create_contact(rep, {"name": "李四", "account": dup})
    note = core.add_note(rep, dup, {"kind": "call", "subject": "First call"})
    return keep, dup, contact, note


def test_merge_page_shows_fields_side_by_side_and_what_moves(client, org, pair):
    keep, dup, _contact, _note = pair
    client.force_login(org.east_rep)

    html = client.get(MERGE, {"survivor": keep.pk, "duplicate": dup.pk}).content.decode()

    city = html[html.index('<tr data-field="city"') :]
    city = city[: city.index("</tr>")]
    assert "北京" in city and "上海" in city
    assert 'value="survivor" id="pick-city-s" checked' in city
    phone = html[html.index('<tr data-field="phone"') :]
    assert 'value="duplicate" id="pick-phone-d" checked' in phone[: phone.index("</tr>")]
    summary = html[html.index('id="merge-summary"') :]
    assert "1 contact moves over" in summary
    assert "1 timeline entry moves over" in summary
    assert "Imported" in summary


def test_merge_moves_contacts_and_notes_and_takes_chosen_values(client, org, pair):
    keep, dup, contact, note = pair
    client.force_login(org.east_rep)

    response = client.post(
        MERGE,
        {
            "survivor": keep.pk,
            "duplicate": dup.pk,
            "survivor_version": keep.version,
            "duplicate_version": dup.version,
            "pick_city": "duplicate",
            "pick_phone": "duplicate",
            "pick_name": "survivor",
        },
    )

    keep.refresh_from_db()
    contact.refresh_from_db()
    note.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == keep.get_absolute_url()
    assert (keep.name, keep.city, keep.phone) == ("星辰科技", "上海", "010-12345678")
    assert contact.account == keep
    assert note.object_id == keep.pk
    assert not Account.objects.filter(pk=dup.pk).exists()
    assert [t.name for t in keep.tags.all()] == ["Imported"]
    message = " ".join(str(m) for m in response.wsgi_request._messages)
    assert "recycle bin" in message


def test_merge_undo_via_restore_brings_contacts_and_notes_back(client, org, pair):
    keep, dup, contact, note = pair
    client.force_login(org.east_rep)
    client.post(
        MERGE,
        {"survivor": keep.pk, "duplicate": dup.pk, "pick_city": "duplicate"},
    )

    entry = DeletedRecord.objects.get(object_type="account", object_id=dup.pk)
    core.restore_record(org.east_rep, entry)

    keep.refresh_from_db()
    contact.refresh_from_db()
    note.refresh_from_db()
    assert Account.objects.filter(pk=dup.pk).exists()
    assert contact.account_id == dup.pk
    assert note.object_id == dup.pk
    assert keep.city == "北京"


def test_merge_refused_on_stale_version(client, org, pair):
    keep, dup, contact, _note = pair
    client.force_login(org.east_rep)

    response = client.post(
        MERGE,
        {
            "survivor": keep.pk,
            "duplicate": dup.pk,
            "survivor_version": keep.version - 1 if keep.version > 1 else 99,
            "duplicate_version": dup.version,
        },
    )

    assert response.status_code == 302
    assert Account.objects.filter(pk=dup.pk).exists()
    assert Contact.objects.get(pk=contact.pk).account_id == dup.pk


def test_merge_page_needs_both_accounts_editable(client, org, pair):
    keep, _dup, _c, _n = pair
    other = create_account(org.west_rep, {"name": "West"})
    client.force_login(org.east_rep)

    assert client.get(MERGE, {"survivor": keep.pk, "duplicate": other.pk}).status_code == 404


def test_merge_page_refused_without_delete_right(client, org, pair):
    keep, dup, _c, _n = pair
    client.force_login(org.service)

    assert client.get(MERGE, {"survivor": keep.pk, "duplicate": dup.pk}).status_code == 403


def test_merge_page_offers_likely_duplicates_for_the_second_account(client, org, pair):
    keep, dup, _c, _n = pair
    client.force_login(org.east_rep)

    html = client.get(MERGE, {"survivor": keep.pk}).content.decode()

    assert f"survivor={keep.pk}&amp;duplicate={dup.pk}" in html
    assert reverse("customers:account-autocomplete") + f"?exclude={keep.pk}" in html


# --------------------------------------------------------------------------------------------
# customer flow
# --------------------------------------------------------------------------------------------


def _at(days_ago: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days_ago)


def _set_time(account: Account, days_ago: int, *, last: bool = True) -> None:
    moves = ClassTransition.objects.filter(account=account).order_by("-id")
    move = moves.first() if last else moves.last()
    ClassTransition.objects.filter(pk=move.pk).update(at=_at(days_ago))


@pytest.fixture
def flows(org):
    """Known moves: created 200 days ago as potential unless said otherwise."""
    rep = org.east_rep

    def account(name: str, cls: str = "potential", created: int = 200) -> Account:
        obj = create_account(rep, {"name": name, "relationship_class": cls})
        _set_time(obj, created)
        return obj

    def move(obj: Account, to: str, days_ago: int) -> None:
        obj.refresh_from_db()
        change_relationship_class(rep, obj, to, expected_version=obj.version)
        _set_time(obj, days_ago)

    a = account("A")  # potential → target (in period)
    move(a, "target", 30)
    b = account("B", "repeat")  # repeat → lost (in period) → repeat (after the period)
    move(b, "lost", 20)
    move(b, "repeat", 2)
    c = account("C", "target")  # target → first time before the period
    move(c, "first_time", 150)
    account("D", "non_customer", created=40)  # new in the period
    account("E", "potential", created=1)  # new after the period
    hidden = create_account(org.west_rep, {"name": "West", "relationship_class": "repeat"})
    change_relationship_class(org.west_rep, hidden, "lost", expected_version=hidden.version)
    ClassTransition.objects.filter(account=hidden).update(at=_at(25))
    return timezone.localdate()


def test_flow_counts_matrix_and_class_counts(org, flows):
    today = flows
    counts = selectors.flow_counts(
        org.east_rep, today - dt.timedelta(days=90), today - dt.timedelta(days=10)
    )

    assert counts.matrix == {
        "potential": {"target": 1},
        "repeat": {"lost": 1},
        "": {"non_customer": 1},
    }
    assert counts.total_moves == 3
    assert {k: v for k, v in counts.at_start.items() if v} == {
        "potential": 1,
        "repeat": 1,
        "first_time": 1,
    }
    assert {k: v for k, v in counts.at_end.items() if v} == {
        "target": 1,
        "lost": 1,
        "first_time": 1,
        "non_customer": 1,
    }


def test_flow_counts_are_scoped_to_visible_accounts(org, flows):
    today = flows
    director = selectors.flow_counts(org.director, today - dt.timedelta(days=90), today)
    rep = selectors.flow_counts(org.east_rep, today - dt.timedelta(days=90), today)

    assert director.count("repeat", "lost") == rep.count("repeat", "lost") + 1


def test_flow_sankey_has_no_cycle(org, flows):
    today = flows
    counts = selectors.flow_counts(org.east_rep, today - dt.timedelta(days=90), today)

    sankey = counts.sankey()

    sources = {link["source"] for link in sankey["links"]}
    targets = {link["target"] for link in sankey["links"]}
    assert not sources & targets
    assert {"source": "from:lost", "target": "to:repeat", "value": 1} in sankey["links"]


def test_flow_report_page(client, org, flows):
    today = flows
    client.force_login(org.east_rep)

    response = client.get(
        FLOW,
        {
            "start": (today - dt.timedelta(days=90)).isoformat(),
            "end": (today - dt.timedelta(days=10)).isoformat(),
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    row = html[html.index('<tr data-from="repeat">') :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r"<td[^>]*>(\d+)</td>", row)
    # columns: non-customer, potential, target, first-time, repeat, loyal, lost, total
    assert cells == ["0", "0", "0", "0", "0", "0", "1", "1"]
    data = json.loads(
        re.search(r'<script id="flow-data" type="application/json">(.*?)</script>', html).group(1)
    )
    assert {"source": "from:potential", "target": "to:target", "value": 1} in data["links"]
    assert "vendor/echarts/echarts.min.js" in html


def test_flow_report_defaults_to_last_90_days(client, org, flows):
    client.force_login(org.east_rep)

    html = client.get(FLOW).content.decode()

    start = (flows - dt.timedelta(days=90)).isoformat()
    assert f'value="{start}"' in html
    assert "5 moves" in html  # A, B lost and back, D and E created


def test_flow_report_rejects_end_before_start(client, org):
    client.force_login(org.east_rep)

    response = client.get(FLOW, {"start": "2026-03-01", "end": "2026-01-01"})

    assert response.status_code == 200
    assert "The end comes before the start." in response.content.decode()
