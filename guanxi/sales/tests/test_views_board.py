"""The kanban board page: columns with counts and sums, cards, filters, load more, and the
move endpoint the board's script posts to (version-checked; stale and lost handled)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.core import services as core
from guanxi.customers.models import Account
from guanxi.sales.models import Opportunity, Pipeline
from guanxi.sales.services import move_stage
from guanxi.sales.views import CARDS_PER_COLUMN

from .helpers import make_account, make_opp, stage

pytestmark = pytest.mark.django_db


def move(client, opp, stage_name, version=None, **extra):
    return client.post(
        reverse("sales:board-move", args=[opp.pk]),
        {
            "stage": stage(stage_name).pk,
            "version": opp.version if version is None else version,
            **extra,
        },
    )


def test_board_has_a_column_per_stage_with_count_and_sum_per_currency(client, org):
    account = make_account(org.east_rep)
    make_opp(org.east_rep, account, "100")
    make_opp(org.east_rep, account, "250.50")
    make_opp(org.east_rep, account, "70", currency="USD")
    client.force_login(org.east_rep)

    response = client.get(reverse("sales:board"))

    html = response.text
    first = stage("Prospecting").pk
    head = html[html.index(f'id="column-head-{first}"') :]
    head = head[: head.index("</header>")]
    assert '<span class="badge text-bg-secondary" data-count>3</span>' in head
    assert "¥350.50" in head and "$70.00" in head
    for name in ("Prospecting", "Negotiation", "Closed won", "Closed lost"):
        assert f'data-stage-name="{name}"' in html


def test_cards_show_name_account_amount_owner_and_close_date(client, org):
    account = make_account(org.east_rep, "华为技术")
    opp = make_opp(org.east_rep, account, "8888", dt.date(2026, 10, 9), name="交换机")
    client.force_login(org.east_rep)

    html = client.get(reverse("sales:board")).text

    card = html[html.index(f'id="card-{opp.pk}"') :]
    card = card[: card.index("</article>")]
    assert "交换机" in card and "华为技术" in card and "¥8,888.00" in card
    assert str(org.east_rep) in card
    assert f'data-version="{opp.version}"' in card and 'draggable="true"' in card


def test_board_shows_only_visible_deals(client, org):
    mine = make_opp(org.east_rep)
    theirs = make_opp(org.west_rep)
    client.force_login(org.east_rep)

    html = client.get(reverse("sales:board")).text

    assert f'id="card-{mine.pk}"' in html and f'id="card-{theirs.pk}"' not in html


def test_read_shared_card_is_not_draggable(client, org):
    theirs = make_opp(org.west_rep)
    core.share_record(org.admin, theirs, user=org.east_rep, access="read")
    client.force_login(org.east_rep)

    html = client.get(reverse("sales:board")).text

    card = html[html.index(f'id="card-{theirs.pk}"') :]
    assert 'draggable="true"' not in card[: card.index(">")]


def test_board_filters_by_owner_and_close_period(client, org):
    today = timezone.localdate()
    account = make_account(org.east_manager)
    this_month = make_opp(org.east_manager, account, "1", today, name="now", owner=org.east_rep)
    later = make_opp(
        org.east_manager,
        account,
        "2",
        today + dt.timedelta(days=200),
        name="later",
        owner=org.east_rep,
    )
    own = make_opp(org.east_manager, account, "3", today, name="own")
    client.force_login(org.east_manager)

    by_owner = client.get(reverse("sales:board"), {"owner": org.east_rep.pk}).text
    by_period = client.get(reverse("sales:board"), {"close": "this_month"}).text

    assert f'id="card-{this_month.pk}"' in by_owner and f'id="card-{later.pk}"' in by_owner
    assert f'id="card-{own.pk}"' not in by_owner
    assert f'id="card-{this_month.pk}"' in by_period and f'id="card-{own.pk}"' in by_period
    assert f'id="card-{later.pk}"' not in by_period


def test_board_filters_by_team_include_sub_teams(client, org):
    east = make_opp(org.east_rep)
    west = make_opp(org.west_rep)
    client.force_login(org.director)

    html = client.get(reverse("sales:board"), {"team": org.east.pk}).text
    everything = client.get(reverse("sales:board"), {"team": org.sales.pk}).text

    assert f'id="card-{east.pk}"' in html and f'id="card-{west.pk}"' not in html
    assert f'id="card-{east.pk}"' in everything and f'id="card-{west.pk}"' in everything


def test_load_more_pages_through_a_column(client, org):
    account = make_account(org.east_rep)
    opps = [make_opp(org.east_rep, account, str(100 + i)) for i in range(CARDS_PER_COLUMN + 3)]
    client.force_login(org.east_rep)
    first = stage("Prospecting")

    board = client.get(reverse("sales:board")).text
    more = client.get(
        reverse("sales:board-column"),
        {"pipeline": Pipeline.default().pk, "stage": first.pk, "offset": CARDS_PER_COLUMN},
    ).text

    shown = [o for o in opps if f'id="card-{o.pk}"' in board]
    rest = [o for o in opps if f'id="card-{o.pk}"' in more]
    assert len(shown) == CARDS_PER_COLUMN and 'data-more="' in board
    assert len(rest) == 3 and not set(shown) & set(rest)
    assert "data-more" not in more


def test_drop_on_another_column_moves_through_the_service(client, org):
    opp = make_opp(org.east_rep, amount="500")
    client.force_login(org.east_rep)

    response = move(client, opp, "Proposal")

    data = response.json()
    assert response.status_code == 200 and data["ok"]
    opp.refresh_from_db()
    assert opp.stage.name == "Proposal" and data["version"] == opp.version
    assert f'data-version="{opp.version}"' in data["card"]
    heads = data["columns"]
    assert heads[str(stage("Proposal").pk)]["count"] == 1
    assert heads[str(stage("Prospecting").pk)]["count"] == 0
    assert "¥500.00" in heads[str(stage("Proposal").pk)]["totals"]


def test_drop_to_won_stamps_the_accounts_last_won(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    response = move(client, opp, "Closed won")

    assert response.status_code == 200
    assert Account.objects.get(pk=opp.account_id).last_won_at is not None
    assert Opportunity.objects.get(pk=opp.pk).closed_at is not None


def test_stale_card_is_not_overwritten_and_comes_back_as_it_is_now(client, org):
    opp = make_opp(org.east_rep)
    seen = opp.version
    move_stage(org.east_manager, opp, stage("Negotiation"), expected_version=seen)
    client.force_login(org.east_rep)

    response = move(client, opp, "Proposal", version=seen)

    data = response.json()
    assert response.status_code == 409 and data["stale"]
    assert "Someone else changed" in data["error"]
    assert data["stage"] == stage("Negotiation").pk
    current = Opportunity.objects.get(pk=opp.pk)
    assert current.stage.name == "Negotiation"
    assert f'data-version="{current.version}"' in data["card"]


def test_drop_on_lost_without_reason_is_400_naming_loss_reason(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    response = move(client, opp, "Closed lost")

    assert response.status_code == 400
    assert "loss_reason" in response.json()["errors"]
    assert Opportunity.objects.get(pk=opp.pk).stage.name == "Prospecting"


def test_drop_on_lost_with_reason_moves(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    response = move(client, opp, "Closed lost", loss_reason="竞争对手更便宜")

    assert response.status_code == 200
    assert Opportunity.objects.get(pk=opp.pk).loss_reason == "竞争对手更便宜"


def test_move_without_version_is_400(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:board-move", args=[opp.pk]), {"stage": stage("Proposal").pk}
    )

    assert response.status_code == 400 and "version" in response.json()["errors"]


def test_move_to_a_stage_of_another_pipeline_is_400(client, org):
    from guanxi.sales.services import create_pipeline

    other = create_pipeline(org.admin, "Renewals")
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:board-move", args=[opp.pk]),
        {"stage": other.stages.first().pk, "version": opp.version},
    )

    assert response.status_code == 400 and "stage" in response.json()["errors"]


def test_move_of_an_invisible_card_is_404_and_of_a_read_only_one_403(client, org):
    hidden = make_opp(org.west_rep)
    shared = make_opp(org.west_rep)
    core.share_record(org.admin, shared, user=org.east_rep, access="read")
    client.force_login(org.east_rep)

    assert move(client, hidden, "Proposal").status_code == 404
    assert move(client, shared, "Proposal").status_code == 403
    assert Opportunity.objects.get(pk=shared.pk).stage.name == "Prospecting"


def test_move_keeps_the_board_filters_in_the_column_sums(client, org):
    account = make_account(org.east_manager)
    opp = make_opp(org.east_manager, account, "10", owner=org.east_rep)
    make_opp(org.east_manager, account, "99")
    client.force_login(org.east_manager)

    response = move(client, opp, "Proposal", owner=org.east_rep.pk)

    heads = response.json()["columns"]
    assert heads[str(stage("Prospecting").pk)]["count"] == 0


def board_queries(client, org, count):
    account = make_account(org.east_rep)
    names = ["Prospecting", None, "Proposal", "Negotiation", "Closed won"]
    for i in range(count):
        make_opp(org.east_rep, account, str(i + 1), stage_name=names[i % len(names)])
    client.force_login(org.east_rep)
    client.get(reverse("sales:board"))  # warm the session and caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("sales:board"))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_board_query_counts_equal_for_10_and_100_deals(client, org):
    small = board_queries(client, org, 10)
    Opportunity.all_objects.all().delete()
    big = board_queries(client, org, 100)
    assert small == big
