"""Account pages: list (filters, sort, columns, saved views, pages, bulk), forms, detail tabs."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.core import services as core
from guanxi.core.models import ChangeLogEntry, Note, SavedView, Tag
from guanxi.core.tests.factories import AccountFactory
from guanxi.customers.models import Account, ClassTransition, Contact
from guanxi.customers.services import create_account, create_contact, update_account

pytestmark = pytest.mark.django_db

LIST = reverse("customers:account-list")
VALID_USCC = "91350100M000100Y43"


def names_in(response) -> list[str]:
    """Names of the rows of a list page, in order."""
    html = response.content.decode()
    table = html[html.index('id="object-list"') :]
    found = re.findall(r'<a href="/customers/accounts/\d+/" class="fw-medium">([^<]+)</a>', table)
    return [html_lib.unescape(name) for name in found]


@pytest.fixture
def rep_client(client, org):
    client.force_login(org.east_rep)
    return client


# --------------------------------------------------------------------------------------------
# list: filters, search, sort
# --------------------------------------------------------------------------------------------


def test_list_shows_only_visible_accounts(rep_client, org):
    create_account(org.east_rep, {"name": "Mine"})
    create_account(org.west_rep, {"name": "Theirs"})

    response = rep_client.get(LIST)

    assert response.status_code == 200
    assert names_in(response) == ["Mine"]


def test_list_filters_by_relationship_class(rep_client, org):
    create_account(org.east_rep, {"name": "Lead", "relationship_class": "potential"})
    create_account(org.east_rep, {"name": "Buyer", "relationship_class": "repeat"})

    response = rep_client.get(LIST, {"relationship_class": "repeat"})

    assert names_in(response) == ["Buyer"]


def test_list_filters_by_several_classifications_at_once(rep_client, org):
    create_account(
        org.east_rep, {"name": "A", "settlement": "credit", "profit_contribution": "vip"}
    )
    create_account(org.east_rep, {"name": "B", "settlement": "credit"})
    create_account(org.east_rep, {"name": "C", "profit_contribution": "vip"})

    response = rep_client.get(LIST, {"settlement": "credit", "profit_contribution": "vip"})

    assert names_in(response) == ["A"]


def test_list_filters_by_owner(client, org):
    create_account(org.east_rep, {"name": "Rep's"})
    create_account(org.east_rep2, {"name": "Rep2's"})
    client.force_login(org.east_manager)

    response = client.get(LIST, {"owner": org.east_rep2.pk})

    assert names_in(response) == ["Rep2's"]


def test_list_filters_by_tag(rep_client, org):
    vip = Tag.objects.create(name="VIP")
    create_account(org.east_rep, {"name": "Tagged", "tags": [vip]})
    create_account(org.east_rep, {"name": "Plain"})

    response = rep_client.get(LIST, {"tag": vip.pk})

    assert names_in(response) == ["Tagged"]


def test_list_filters_by_created_and_last_activity_dates(rep_client, org):
    old = create_account(org.east_rep, {"name": "Old"})
    Account.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=400),
        last_activity_at=timezone.now() - dt.timedelta(days=300),
    )
    recent = create_account(org.east_rep, {"name": "Recent"})
    core.add_note(org.east_rep, recent, {"kind": "call", "subject": "Hello"})
    since = (timezone.localdate() - dt.timedelta(days=30)).isoformat()

    assert names_in(rep_client.get(LIST, {"created_after": since})) == ["Recent"]
    assert names_in(rep_client.get(LIST, {"last_activity_after": since})) == ["Recent"]
    assert names_in(rep_client.get(LIST, {"created_before": since})) == ["Old"]


def test_list_filters_by_city(rep_client, org):
    create_account(org.east_rep, {"name": "Hz", "province": "浙江", "city": "杭州"})
    create_account(org.east_rep, {"name": "Sh", "city": "上海"})

    assert names_in(rep_client.get(LIST, {"city": "杭州"})) == ["Hz"]
    assert names_in(rep_client.get(LIST, {"province": "浙江"})) == ["Hz"]


def test_list_search_box_finds_by_pinyin_initials(rep_client, org):
    create_account(org.east_rep, {"name": "北京星辰科技有限公司"})
    create_account(org.east_rep, {"name": "上海海洋贸易"})

    response = rep_client.get(LIST, {"q": "bxkj"})

    assert names_in(response) == []  # initials of the whole name start with bjxckj
    assert names_in(rep_client.get(LIST, {"q": "bjxc"})) == ["北京星辰科技有限公司"]


def test_list_sorts_by_whitelisted_column_both_ways(rep_client, org):
    for name, city in (("B", "Xi'an"), ("A", "Beijing"), ("C", "Nanjing")):
        create_account(org.east_rep, {"name": name, "city": city})

    assert names_in(rep_client.get(LIST, {"sort": "city"})) == ["A", "C", "B"]
    assert names_in(rep_client.get(LIST, {"sort": "-city"})) == ["B", "C", "A"]
    assert names_in(rep_client.get(LIST)) == ["A", "B", "C"]


def test_list_ignores_sort_on_unknown_column(rep_client, org):
    create_account(org.east_rep, {"name": "B"})
    create_account(org.east_rep, {"name": "A"})

    response = rep_client.get(LIST, {"sort": "search_tokens"})

    assert response.status_code == 200
    assert names_in(response) == ["A", "B"]


def test_list_htmx_request_gets_table_fragment_only(rep_client, org):
    create_account(org.east_rep, {"name": "Only"})

    response = rep_client.get(LIST, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert 'id="object-list"' in html
    assert "<html" not in html
    assert names_in(response) == ["Only"]


# --------------------------------------------------------------------------------------------
# columns and saved views
# --------------------------------------------------------------------------------------------


def test_column_choice_shows_chosen_columns_and_sticks(rep_client, org):
    create_account(org.east_rep, {"name": "A", "tax_number": VALID_USCC})

    first = rep_client.get(LIST, {"columns": "name,tax_number"})
    later = rep_client.get(LIST)

    for response in (first, later):
        headers = re.findall(r'data-column="([a-z_]+)"', response.content.decode())
        assert headers == ["name", "tax_number"]
    assert VALID_USCC in later.content.decode()


def test_saved_view_roundtrip(rep_client, org):
    create_account(org.east_rep, {"name": "Lead", "relationship_class": "potential"})
    create_account(org.east_rep, {"name": "Lost one", "relationship_class": "lost"})

    saved = rep_client.post(
        LIST,
        {
            "_action": "save_view",
            "name": "Lost customers",
            "_query": "relationship_class=lost&sort=-name&page=3&columns=name,city",
        },
    )
    view = SavedView.objects.get(user=org.east_rep, name="Lost customers")
    opened = rep_client.get(LIST, {"saved": view.pk})
    page = rep_client.get(opened["Location"])

    assert saved.status_code == 302
    assert view.query == "relationship_class=lost&sort=-name"
    assert view.columns == ["name", "city"]
    assert "relationship_class=lost" in opened["Location"]
    assert names_in(page) == ["Lost one"]
    assert re.findall(r'data-column="([a-z_]+)"', page.content.decode()) == ["name", "city"]
    assert "Lost customers" in page.content.decode()


def test_saved_view_of_another_user_is_not_offered_unless_shared(client, org):
    mine = SavedView.objects.create(user=org.west_rep, object_type="account", name="Private")
    client.force_login(org.east_rep)

    assert client.get(LIST, {"saved": mine.pk}).status_code == 404
    assert "Private" not in client.get(LIST).content.decode()


def test_delete_saved_view(rep_client, org):
    view = SavedView.objects.create(user=org.east_rep, object_type="account", name="Old view")

    rep_client.post(LIST, {"_action": "delete_view", "view": view.pk})

    assert not SavedView.objects.filter(pk=view.pk).exists()


# --------------------------------------------------------------------------------------------
# pagination
# --------------------------------------------------------------------------------------------


def test_pagination_without_full_count(rep_client, org, settings):
    for i in range(30):
        AccountFactory(name=f"Acc {i:02}", owner=org.east_rep)

    with CaptureQueriesContext(connection) as queries:
        response = rep_client.get(LIST, {"per_page": 25})

    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(names_in(response)) == 25
    assert len(counts) == 1
    assert counts, "a capped count runs when there is a next page"
    assert all("LIMIT" in sql.upper() for sql in counts)
    assert "1–25 of 30" in response.content.decode()


def test_pagination_caps_the_count(rep_client, org, monkeypatch):
    from guanxi.customers.views import AccountListView

    monkeypatch.setattr(AccountListView, "count_cap", 10)
    for i in range(30):
        AccountFactory(name=f"Acc {i:02}", owner=org.east_rep)

    response = rep_client.get(LIST, {"per_page": 25})

    assert "1–25 of 10+" in response.content.decode()


def test_last_page_is_counted_without_a_count_query(rep_client, org):
    for i in range(30):
        AccountFactory(name=f"Acc {i:02}", owner=org.east_rep)

    with CaptureQueriesContext(connection) as queries:
        response = rep_client.get(LIST, {"per_page": 25, "page": 2})

    assert names_in(response) == [f"Acc {i:02}" for i in range(25, 30)]
    assert "26–30 of 30" in response.content.decode()
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_page_past_the_end_is_empty_not_an_error(rep_client, org):
    AccountFactory(name="Only", owner=org.east_rep)

    response = rep_client.get(LIST, {"page": 99})

    assert response.status_code == 200
    assert names_in(response) == []


# --------------------------------------------------------------------------------------------
# query counts
# --------------------------------------------------------------------------------------------


def _list_queries(client, url: str) -> int:
    client.get(url, {"per_page": 200})  # warm caches (content types, access policy)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"per_page": 200})
    assert response.status_code == 200
    return len(queries.captured_queries)


def _populate(org, n: int) -> None:
    tags = [Tag.objects.get_or_create(name=f"t{i}")[0] for i in range(3)]
    parent = AccountFactory(name="Parent", owner=org.east_rep)
    for i in range(n):
        account = AccountFactory(name=f"A{i:03}", owner=org.east_rep, parent=parent)
        account.tags.set(tags[: i % 3 + 1])
        contact = Contact(name=f"C{i:03}", account=account, owner=org.east_rep, team=org.east)
        contact.derive_fields()
        contact.save()
        contact.tags.set(tags[:1])


@pytest.mark.parametrize("url", [LIST, reverse("customers:contact-list")])
def test_list_page_query_count_does_not_grow_with_rows(client, org, url):
    client.force_login(org.east_rep)
    _populate(org, 10)
    with_10 = _list_queries(client, url)
    _populate(org, 90)
    with_100 = _list_queries(client, url)

    assert with_10 == with_100


@pytest.mark.parametrize("url", [LIST, reverse("customers:contact-list")])
def test_list_page_query_count_with_every_column_shown(client, org, url):
    client.force_login(org.east_rep)
    client.get(url, {"columns": "all"})  # unknown names fall back to the required column
    from guanxi.customers.tables import AccountTable, ContactTable

    table = AccountTable if url == LIST else ContactTable
    every = ",".join(c.name for c in table.columns)
    client.get(url, {"columns": every})
    _populate(org, 10)
    with_10 = _list_queries(client, url)
    _populate(org, 90)
    with_100 = _list_queries(client, url)

    assert with_10 == with_100


# --------------------------------------------------------------------------------------------
# bulk actions
# --------------------------------------------------------------------------------------------


def test_bulk_assign_changes_only_editable_records_and_logs_each(client, org):
    own = [create_account(org.east_rep, {"name": f"Own {i}"}) for i in range(2)]
    other = create_account(org.west_rep, {"name": "West"})
    client.force_login(org.east_manager)
    ids = [a.pk for a in own] + [other.pk]

    response = client.post(
        LIST,
        {"_action": "assign_owner", "assign_owner-owner": org.east_rep2.pk, "ids": ids},
    )

    assert response.status_code == 302
    assert set(Account.objects.filter(owner=org.east_rep2).values_list("pk", flat=True)) == {
        a.pk for a in own
    }
    assert Account.objects.get(pk=other.pk).owner == org.west_rep
    for account in own:
        entry = ChangeLogEntry.objects.filter(
            object_type="account", object_id=account.pk, action="update"
        ).get()
        assert entry.changes["owner"] == [org.east_rep.pk, org.east_rep2.pk]
        assert entry.actor == org.east_manager
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("2 records done" in m and "1 skipped" in m for m in messages)


def test_bulk_assign_to_someone_outside_my_teams_is_refused(rep_client, org):
    account = create_account(org.east_rep, {"name": "Mine"})

    rep_client.post(
        LIST,
        {"_action": "assign_owner", "assign_owner-owner": org.west_rep.pk, "ids": [account.pk]},
    )

    assert Account.objects.get(pk=account.pk).owner == org.east_rep


def test_bulk_add_tag_creates_the_tag_and_tags_editable_records(client, org):
    own = create_account(org.east_rep, {"name": "Mine"})
    shared = create_account(org.west_rep, {"name": "Shared to read"})
    core.share_record(org.west_rep, shared, user=org.east_rep, access="read")
    client.force_login(org.east_rep)

    response = client.post(
        LIST, {"_action": "add_tag", "add_tag-tag": "Trade show 2026", "ids": [own.pk, shared.pk]}
    )

    tag = Tag.objects.get(name="Trade show 2026")
    assert list(Account.objects.get(pk=own.pk).tags.all()) == [tag]
    assert list(Account.objects.get(pk=shared.pk).tags.all()) == []
    assert ChangeLogEntry.objects.filter(object_id=own.pk, changes__has_key="tags").exists()
    assert any("1 record done" in str(m) for m in response.wsgi_request._messages)


def test_bulk_delete_moves_editable_records_to_recycle_bin(client, org):
    own = create_account(org.east_rep, {"name": "Mine"})
    other = create_account(org.west_rep, {"name": "Theirs"})
    client.force_login(org.east_rep)

    client.post(LIST, {"_action": "delete", "ids": [own.pk, other.pk]})

    assert not Account.objects.filter(pk=own.pk).exists()
    assert Account.all_objects.get(pk=own.pk).deleted_at is not None
    assert Account.objects.filter(pk=other.pk).exists()


def test_bulk_toolbar_fields_do_not_block_each_other(rep_client, org):
    html = rep_client.get(LIST).content.decode()

    toolbar = html[html.index('id="bulk-form"') :]
    toolbar = toolbar[: toolbar.index("</form>")]
    assert 'value="assign_owner"' in toolbar and 'value="delete"' in toolbar
    assert " required" not in toolbar  # Delete must work with no owner chosen


def test_bulk_delete_refused_without_delete_right(client, org):
    account = create_account(org.admin, {"name": "Shared"}, owner=org.service)
    client.force_login(org.service)

    response = client.post(LIST, {"_action": "delete", "ids": [account.pk]})

    assert response.status_code == 403
    assert Account.objects.filter(pk=account.pk).exists()


# --------------------------------------------------------------------------------------------
# create and edit
# --------------------------------------------------------------------------------------------


def test_create_account_through_the_form(rep_client, org):
    tag = Tag.objects.create(name="Existing")
    response = rep_client.post(
        reverse("customers:account-create"),
        {
            "name": "北京星辰科技有限公司",
            "kind": "company",
            "relationship_class": "potential",
            "source_class": "end",
            "region_class": "own_region",
            "settlement": "cash",
            "receivables_class": "none",
            "profit_contribution": "ordinary",
            "tax_number": VALID_USCC,
            "country": "CN",
            "tags": [tag.pk],
            "new_tags": "新客户, Beijing",
        },
    )

    account = Account.objects.get(name="北京星辰科技有限公司")
    assert response.status_code == 302
    assert response["Location"] == account.get_absolute_url()
    assert account.owner == org.east_rep
    assert account.name_initials.startswith("bjxckj")
    assert sorted(t.name for t in account.tags.all()) == ["Beijing", "Existing", "新客户"]
    assert ChangeLogEntry.objects.filter(object_id=account.pk, action="create").exists()


def test_create_with_bad_tax_number_shows_error_next_to_field_and_writes_nothing(rep_client, org):
    response = rep_client.post(
        reverse("customers:account-create"),
        {"name": "Bad code Ltd", "kind": "company", "tax_number": "91350100M000100Y44"},
    )

    html = response.content.decode()
    field = html[html.index('id="field-tax_number"') :]
    field = field[: field.index("</div>\n</div>") if "</div>\n</div>" in field else 2000]
    assert response.status_code == 200
    assert "wrong check character" in field
    assert "is-invalid" in field
    assert not Account.all_objects.exists()
    assert not ChangeLogEntry.objects.exists()


def test_inline_validation_of_one_field(rep_client, org):
    response = rep_client.post(
        reverse("customers:account-create"),
        {"name": "X", "tax_number": "123", "_validate": "tax_number"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert html.strip().startswith('<div class="col-md-6" id="field-tax_number">')
    assert "18 digits or capital letters" in html
    assert not Account.all_objects.exists()


def test_contact_form_rejects_bad_mobile(rep_client, org):
    response = rep_client.post(
        reverse("customers:contact-create"), {"name": "张三", "mobile": "12345"}
    )

    html = response.content.decode()
    assert "mainland China mobile number" in html[html.index('id="field-mobile"') :][:1500]
    assert not Contact.all_objects.exists()


def test_forms_never_offer_protected_fields(rep_client, org):
    account = create_account(org.east_rep, {"name": "A"})
    from guanxi.customers.forms import AccountForm, ContactForm

    for form in (
        AccountForm(user=org.east_rep),
        AccountForm(instance=account, user=org.east_rep),
        ContactForm(user=org.east_rep),
    ):
        offered = set(form.fields)
        model = form._meta.model
        assert not offered & (set(model.protected_fields) - {"version"})
        assert not offered & {"owner", "team", "search_tokens", "name_pinyin", "consent_email"}


def test_posting_protected_fields_changes_nothing(rep_client, org):
    account = create_account(org.east_rep, {"name": "A"})

    rep_client.post(
        reverse("customers:account-edit", args=[account.pk]),
        {
            **_edit_data(account),
            "created_by": org.west_rep.pk,
            "owner": org.west_rep.pk,
            "team": org.west.pk,
            "deleted_at": "2020-01-01",
        },
    )

    account.refresh_from_db()
    assert account.owner == org.east_rep
    assert account.created_by == org.east_rep
    assert account.deleted_at is None


def test_manager_may_assign_owner_in_form(client, org):
    client.force_login(org.east_manager)

    client.post(
        reverse("customers:account-create"),
        {**_edit_data(Account(name="For rep2")), "owner": org.east_rep2.pk},
    )

    assert Account.objects.get(name="For rep2").owner == org.east_rep2


def test_parent_picker_refuses_invisible_account(rep_client, org):
    hidden = create_account(org.west_rep, {"name": "Hidden group"})

    response = rep_client.post(
        reverse("customers:account-create"),
        {**_edit_data(Account(name="Child")), "parent": hidden.pk},
    )

    assert response.status_code == 200
    assert "field-parent" in response.content.decode()
    assert not Account.objects.filter(name="Child").exists()


def test_autocomplete_returns_only_visible_accounts(rep_client, org):
    create_account(org.east_rep, {"name": "星辰科技"})
    create_account(org.west_rep, {"name": "星辰贸易"})

    response = rep_client.get(reverse("customers:account-autocomplete"), {"q": "xingchen"})

    html = response.content.decode()
    assert "星辰科技" in html
    assert "星辰贸易" not in html


def _edit_data(account: Account, **changes) -> dict:
    data = {
        "name": account.name,
        "kind": account.kind,
        "industry": account.industry,
        "relationship_class": account.relationship_class,
        "source_class": account.source_class,
        "region_class": account.region_class,
        "settlement": account.settlement,
        "receivables_class": account.receivables_class,
        "profitability": account.profitability,
        "profit_contribution": account.profit_contribution,
        "tax_number": account.tax_number,
        "phone": account.phone,
        "email": account.email,
        "website": account.website,
        "country": account.country,
        "province": account.province,
        "city": account.city,
        "district": account.district,
        "street": account.street,
        "postal_code": account.postal_code,
        "rating": account.rating or "",
        "description": account.description,
    }
    if account.pk:
        data["version"] = account.version
        data["parent"] = account.parent_id or ""
        data["tags"] = [t.pk for t in account.tags.all()]
    data.update(changes)
    return data


def hidden_inputs(html: str) -> dict[str, str]:
    """The hidden inputs of the conflict form, as a browser would resubmit them."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    return {k: html_lib.unescape(v) for k, v in found if k != "csrfmiddlewaretoken"}


def _form_base(client, account: Account) -> str:
    html = client.get(reverse("customers:account-edit", args=[account.pk])).content.decode()
    return re.search(r'name="base" value="([^"]+)"', html).group(1)


def test_edit_applies_on_current_version(rep_client, org):
    account = create_account(org.east_rep, {"name": "Old name"})
    base = _form_base(rep_client, account)

    response = rep_client.post(
        reverse("customers:account-edit", args=[account.pk]),
        {**_edit_data(account, name="New name", city="杭州"), "base": base},
    )

    account.refresh_from_db()
    assert response.status_code == 302
    assert (account.name, account.city, account.version) == ("New name", "杭州", 2)


def test_stale_edit_shows_conflict_with_both_values_and_writes_nothing(client, org):
    account = create_account(org.east_rep, {"name": "Acme", "city": "北京", "phone": "010-1234"})
    client.force_login(org.east_rep)
    base = _form_base(client, account)
    data = _edit_data(account, city="上海", phone="010-5678")
    update_account(org.east_manager, account, {"city": "广州"}, expected_version=1)

    response = client.post(
        reverse("customers:account-edit", args=[account.pk]), {**data, "base": base}
    )

    html = response.content.decode()
    account.refresh_from_db()
    assert response.status_code == 409
    assert (account.city, account.phone, account.version) == ("广州", "010-1234", 2)
    row = html[html.index('<tr data-field="city">') :]
    row = row[: row.index("</tr>")]
    assert '<td class="conflict-mine">上海</td>' in row
    assert '<td class="conflict-theirs">广州</td>' in row
    assert 'data-field="phone"' not in html  # only I changed it: no question
    assert "<li>Phone: 010-5678</li>" in html
    assert str(org.east_manager) in html
    assert 'name="version" value="2"' in html


def test_conflict_resolved_resubmit_applies_choices_on_new_version(client, org):
    account = create_account(
        org.east_rep, {"name": "Acme", "city": "北京", "province": "北京", "phone": "010-1234"}
    )
    client.force_login(org.east_rep)
    base = _form_base(client, account)
    url = reverse("customers:account-edit", args=[account.pk])
    data = _edit_data(account, city="上海", province="上海", phone="010-5678")
    update_account(
        org.east_manager,
        account,
        {"city": "广州", "province": "广东", "website": "https://acme.cn"},
        expected_version=1,
    )
    conflict = client.post(url, {**data, "base": base}).content.decode()
    resubmit = hidden_inputs(conflict)

    response = client.post(
        url,
        {
            **resubmit,
            "_resolve_city": "mine",
            "_resolve_province": "theirs",
            "_resolve_website": "theirs",
        },
    )

    account.refresh_from_db()
    assert response.status_code == 302
    assert account.city == "上海"  # mine, chosen
    assert account.province == "广东"  # theirs, chosen
    assert account.website == "https://acme.cn"  # theirs: I never touched it
    assert account.phone == "010-5678"  # only I changed it
    assert account.version == 3


def test_conflict_question_without_answer_keeps_theirs(client, org):
    account = create_account(org.east_rep, {"name": "Acme", "city": "北京"})
    client.force_login(org.east_rep)
    base = _form_base(client, account)
    url = reverse("customers:account-edit", args=[account.pk])
    update_account(org.east_manager, account, {"city": "广州"}, expected_version=1)
    conflict = client.post(url, {**_edit_data(account, city="上海"), "base": base})
    resubmit = dict(
        re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', conflict.content.decode()
        )
    )

    client.post(url, resubmit)  # the radio was not answered

    account.refresh_from_db()
    assert account.city == "广州"


def test_edit_page_of_record_seen_but_not_editable_is_forbidden(client, org):
    account = create_account(org.west_rep, {"name": "Shared"})
    core.share_record(org.west_rep, account, user=org.east_rep, access="read")
    client.force_login(org.east_rep)

    assert client.get(reverse("customers:account-edit", args=[account.pk])).status_code == 403


# --------------------------------------------------------------------------------------------
# detail: tabs, class moves, timeline
# --------------------------------------------------------------------------------------------


def test_detail_overview_shows_labels_parent_subsidiaries_and_tags(rep_client, org):
    group = create_account(org.east_rep, {"name": "Group"})
    tag = Tag.objects.create(name="Key")
    account = create_account(
        org.east_rep,
        {"name": "Child", "parent": group, "settlement": "credit", "tags": [tag]},
    )
    create_account(org.east_rep, {"name": "Grandchild", "parent": account})

    html = rep_client.get(account.get_absolute_url()).content.decode()

    assert "Credit" in html
    assert f'href="{group.get_absolute_url()}"' in html
    assert "Grandchild" in html
    assert "Key" in html


def test_detail_of_invisible_account_is_404(rep_client, org):
    other = create_account(org.west_rep, {"name": "Theirs"})

    assert rep_client.get(other.get_absolute_url()).status_code == 404
    assert rep_client.get(reverse("customers:account-detail", args=[999999])).status_code == 404


def test_class_move_offers_only_allowed_classes(rep_client, org):
    account = create_account(org.east_rep, {"name": "A", "relationship_class": "repeat"})

    html = rep_client.get(account.get_absolute_url()).content.decode()

    form = html[html.index('id="move-form"') :]
    form = form[: form.index("</form>")]
    assert sorted(re.findall(r'<option value="([a-z_]+)"', form)) == ["lost", "loyal"]


def test_class_move_applies_and_is_listed_with_date_and_actor(rep_client, org):
    account = create_account(org.east_rep, {"name": "A", "relationship_class": "repeat"})

    response = rep_client.post(
        reverse("customers:account-move", args=[account.pk]),
        {"to_class": "loyal", "version": account.version, "reason": "3rd order"},
    )

    account.refresh_from_db()
    assert response.status_code == 302
    assert account.relationship_class == "loyal"
    move = ClassTransition.objects.filter(account=account).order_by("-id").first()
    assert (move.from_class, move.to_class, move.actor) == ("repeat", "loyal", org.east_rep)
    html = rep_client.get(account.get_absolute_url()).content.decode()
    transitions = html[html.index('id="transitions"') :]
    assert "Repeat buyer → <strong>Loyal customer</strong>" in transitions
    assert "3rd order" in transitions


def test_forbidden_class_move_is_refused(rep_client, org):
    account = create_account(org.east_rep, {"name": "A", "relationship_class": "potential"})

    response = rep_client.post(
        reverse("customers:account-move", args=[account.pk]),
        {"to_class": "loyal", "version": account.version},
    )

    account.refresh_from_db()
    assert account.relationship_class == "potential"
    assert ClassTransition.objects.filter(account=account).count() == 1
    assert any("not allowed" in str(m) for m in response.wsgi_request._messages)


def test_contacts_tab_lists_visible_contacts_and_prefills_add(rep_client, org):
    account = create_account(org.east_rep, {"name": "A"})
    create_contact(org.east_rep, {"name": "李四", "account": account})

    html = rep_client.get(account.get_absolute_url(), {"tab": "contacts"}).content.decode()
    add = reverse("customers:contact-create") + f"?account={account.pk}"
    form = rep_client.get(add).content.decode()

    assert "李四" in html
    assert add.replace("&", "&amp;") in html or add in html
    assert f'name="account" value="{account.pk}"' in form


def test_timeline_shows_account_and_contact_entries_newest_first(rep_client, org):
    account = create_account(org.east_rep, {"name": "A"})
    contact = create_contact(org.east_rep, {"name": "李四", "account": account})
    now = timezone.now()
    core.add_note(
        org.east_rep, account, {"kind": "visit", "subject": "Site tour", "occurred_at": now}
    )
    core.add_note(
        org.east_rep,
        contact,
        {"kind": "call", "subject": "Call Li", "occurred_at": now + dt.timedelta(hours=1)},
    )

    html = rep_client.get(account.get_absolute_url(), {"tab": "timeline"}).content.decode()

    assert html.index("Call Li") < html.index("Site tour")
    assert "李四" in html


def test_timeline_tab_as_htmx_fragment(rep_client, org):
    account = create_account(org.east_rep, {"name": "A"})

    response = rep_client.get(
        account.get_absolute_url(), {"tab": "timeline"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert 'id="timeline-panel"' in html
    assert "<html" not in html


def test_log_interaction_on_a_contact_from_the_account_timeline(rep_client, org):
    account = create_account(org.east_rep, {"name": "A"})
    contact = create_contact(org.east_rep, {"name": "李四", "account": account})

    response = rep_client.post(
        reverse("customers:account-timeline", args=[account.pk]),
        {
            "about": contact.pk,
            "kind": "meeting",
            "subject": "Kick-off",
            "occurred_at": "2026-03-01T10:30",
            "duration_minutes": 45,
        },
        headers={"HX-Request": "true"},
    )

    note = Note.objects.get()
    assert response.status_code == 200
    assert "Kick-off" in response.content.decode()
    assert note.content_type == ContentType.objects.get_for_model(Contact)
    assert note.object_id == contact.pk
    assert timezone.localtime(note.occurred_at).hour == 10  # entered in the user's zone


def test_log_note_needs_subject_or_text(rep_client, org):
    account = create_account(org.east_rep, {"name": "A"})

    response = rep_client.post(
        reverse("customers:account-timeline", args=[account.pk]),
        {"kind": "note", "occurred_at": "2026-03-01T10:30"},
        headers={"HX-Request": "true"},
    )

    assert "Write a subject or a text." in response.content.decode()
    assert not Note.objects.exists()


def test_history_and_sharing_tabs_load_core_fragments(rep_client, org):
    account = create_account(org.east_rep, {"name": "A"})

    history = rep_client.get(account.get_absolute_url(), {"tab": "history"}).content.decode()
    sharing = rep_client.get(account.get_absolute_url(), {"tab": "sharing"}).content.decode()

    assert reverse("history", args=["account", account.pk]) in history
    assert reverse("shares", args=["account", account.pk]) in sharing


def test_sharing_tab_hidden_from_who_cannot_edit(client, org):
    account = create_account(org.west_rep, {"name": "A"})
    core.share_record(org.west_rep, account, user=org.east_rep, access="read")
    client.force_login(org.east_rep)

    html = client.get(account.get_absolute_url()).content.decode()

    assert 'data-tab="sharing"' not in html
    assert client.get(account.get_absolute_url(), {"tab": "sharing"}).status_code == 404


def test_delete_moves_account_with_contacts_to_recycle_bin(rep_client, org):
    account = create_account(org.east_rep, {"name": "A"})
    create_contact(org.east_rep, {"name": "C", "account": account})
    url = reverse("customers:account-delete", args=[account.pk])

    confirm = rep_client.get(url).content.decode()
    response = rep_client.post(url, {"version": account.version})

    assert "Also moves 1 contacts." in confirm or "1 contacts" in confirm
    assert response.status_code == 302
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Contact.objects.exists()


def test_dates_are_shown_in_the_users_time_zone(rep_client, org):
    org.east_rep.time_zone = "America/New_York"
    org.east_rep.save()
    account = create_account(org.east_rep, {"name": "A"})
    at = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
    Account.objects.filter(pk=account.pk).update(created_at=at)

    html = rep_client.get(account.get_absolute_url()).content.decode()

    assert "01/15/2026 7 a.m." in html  # 12:00 UTC is 07:00 in New York
