"""The predictive score: learnt from the company's closed leads once there are enough, stored
as JSON numbers, applied to open leads; what the funnel page and the API say about it."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from guanxi.leads import predictive
from guanxi.leads.models import Lead, LeadBehaviour, PredictiveModel

pytestmark = pytest.mark.django_db


def closed_history(converted_by_source: dict[str, tuple[int, int]], seed: int = 7) -> None:
    """Closed leads per source: (converted, disqualified), with noise in the other features."""
    rnd = random.Random(seed)
    now = timezone.now()
    rows = []
    for source, (converted, disqualified) in converted_by_source.items():
        for status, n in (("converted", converted), ("disqualified", disqualified)):
            for i in range(n):
                rows.append(
                    Lead(
                        person_name=f"{source} {status} {i}",
                        source=source,
                        status=status,
                        industry=rnd.choice(["manufacturing", "retail", "it"]),
                        province=rnd.choice(["上海市", "浙江省", "广东省"]),
                        email="x@example.cn" if rnd.random() < 0.5 else "",
                        budget=Decimal(rnd.randrange(1000, 100000)) if rnd.random() < 0.5 else None,
                        score=rnd.randrange(0, 60),
                        created_at=now,
                        updated_at=now,
                    )
                )
    Lead.objects.bulk_create(rows)
    replies = [
        LeadBehaviour(lead=lead, kind="web_visit")
        for lead in Lead.objects.all()
        if rnd.random() < 0.3
    ]
    LeadBehaviour.objects.bulk_create(replies)


@pytest.fixture
def history(db):
    # referrals convert four times in five; web-form leads one time in seven
    closed_history({"referral": (80, 20), "web_form": (15, 85)})


def open_lead(source: str, **fields) -> Lead:
    return Lead.objects.create(person_name=f"open {source}", source=source, **fields)


def test_too_little_history_gives_no_model_and_says_how_many_more(db):
    closed_history({"referral": (5, 10), "web_form": (0, 15)})
    assert predictive.train() is None
    assert not PredictiveModel.objects.exists()
    known = predictive.history()
    assert (known.closed, known.converted, known.missing_closed) == (30, 5, 20)
    message = predictive.not_enough_message(known)
    assert "30 closed leads (5 converted, 25 disqualified)" in message
    assert "20 more closed leads" in message


def test_each_outcome_needs_its_minimum(db):
    closed_history({"referral": (3, 57)})
    known = predictive.history()
    assert known.closed == 60 and not known.enough
    assert known.missing_closed == 7  # seven more converted leads
    assert predictive.train() is None


def test_the_minimums_are_settings(db, settings):
    settings.GUANXI_PREDICTIVE_MIN_CLOSED = 20
    settings.GUANXI_PREDICTIVE_MIN_PER_CLASS = 5
    closed_history({"referral": (6, 4), "web_form": (2, 10)})
    assert predictive.history().enough
    assert predictive.train() is not None


def test_the_model_learns_that_one_source_converts_far_more(history):
    model = predictive.train()
    assert model is not None
    assert model.auc > 0.75
    assert (model.n_samples, model.n_converted, model.n_holdout) == (200, 95, 50)
    referral = predictive.predict(open_lead("referral"))
    web = predictive.predict(open_lead("web_form"))
    assert referral > 0.5 > web


def test_the_predicted_chance_is_on_the_real_conversion_scale(history):
    model = predictive.train()
    # 95 of the 200 converted: a lead like the average one gets about that chance, even though
    # the classes were weighted equally while fitting
    chances = [predictive.predict(lead, model) for lead in Lead.objects.all()[:200]]
    assert 0.35 < sum(chances) / len(chances) < 0.6


def test_the_model_is_stored_as_json_numbers(history):
    model = predictive.train()
    stored = PredictiveModel.objects.get(pk=model.pk)
    assert json.loads(json.dumps(stored.feature_names)) == stored.feature_names
    assert "source=referral" in stored.feature_names and "log_budget" in stored.feature_names
    assert len(stored.coefficients) == len(stored.feature_names)
    assert all(isinstance(c, float) for c in stored.coefficients)
    weights = dict(zip(stored.feature_names, stored.coefficients, strict=True))
    assert weights["source=referral"] > weights["source=web_form"]


def test_training_again_replaces_the_active_model(history):
    first = predictive.train()
    second = predictive.train()
    assert PredictiveModel.objects.filter(active=True).get() == second
    first.refresh_from_db()
    assert not first.active


def test_predict_many_scores_open_leads_only(history):
    predictive.train()
    fresh = [open_lead("referral"), open_lead("web_form", status="contacted")]
    scored = predictive.predict_many()
    assert scored == 2
    fresh[0].refresh_from_db()
    fresh[1].refresh_from_db()
    assert fresh[0].predicted_conversion > 50 > fresh[1].predicted_conversion
    assert not Lead.objects.filter(status="converted", predicted_conversion__isnull=False).exists()


def test_scoring_again_writes_only_changed_chances(history):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    predictive.train()
    open_lead("referral")
    predictive.predict_many()
    with CaptureQueriesContext(connection) as ctx:
        assert predictive.predict_many() == 1
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]


def test_predict_many_agrees_with_predict(history):
    model = predictive.train()
    lead = open_lead("referral", email="a@b.cn", budget=Decimal("5000"), industry="retail")
    LeadBehaviour.objects.create(lead=lead, kind="email_reply")
    predictive.predict_many(Lead.objects.filter(pk=lead.pk))
    lead.refresh_from_db()
    assert lead.predicted_conversion == round(predictive.predict(lead, model) * 100, 1)


def test_a_value_the_model_never_saw_counts_as_none(history):
    predictive.train()
    assert predictive.predict(open_lead("partner", province="西藏自治区")) is not None


def test_without_a_model_nothing_is_predicted(db):
    lead = open_lead("referral")
    assert predictive.predict(lead) is None
    assert predictive.predict_many() == 0
    lead.refresh_from_db()
    assert lead.predicted_conversion is None


def test_command_trains_and_scores(history):
    open_lead("referral")
    out = StringIO()
    call_command("train_lead_model", stdout=out)
    assert "Trained on 200 closed leads" in out.getvalue()
    assert "1 open leads scored" in out.getvalue()
    out = StringIO()
    call_command("train_lead_model", "--score-only", stdout=out)
    assert "1 open leads scored" in out.getvalue()


def test_command_says_when_history_is_too_short(db):
    out = StringIO()
    call_command("train_lead_model", stdout=out)
    assert "Not enough history yet" in out.getvalue()
    assert not PredictiveModel.objects.exists()


def test_jobs_are_scheduled_weekly_and_nightly():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["train-lead-model"]["args"] == ["guanxi.leads.predictive.train_and_score"]
    assert schedule["train-lead-model"]["schedule"] == 7 * 24 * 3600
    assert schedule["score-open-leads"]["args"] == ["guanxi.leads.predictive.score_open_leads"]
    assert schedule["score-open-leads"]["schedule"] == 24 * 3600


# -- the page and the API ---------------------------------------------------------------------


def test_funnel_page_names_the_model_its_history_and_auc(client, org, history):
    model = predictive.train()
    client.force_login(org.east_rep)
    html = client.get(reverse("funnel:report")).content.decode()
    assert 'id="predictive-model"' in html
    assert "200 closed leads" in html and f"{model.auc:.2f}" in html
    assert "Source: Referral" in html  # what raises the odds


def test_funnel_page_says_how_much_history_is_missing(client, org):
    closed_history({"referral": (5, 10)})
    client.force_login(org.east_rep)
    html = client.get(reverse("funnel:report")).content.decode()
    assert 'id="predictive-missing"' in html
    assert "35 more closed leads" in html


def test_an_administrator_trains_now(
    client, org, history, settings, django_capture_on_commit_callbacks
):
    settings.GUANXI_JOBS_MODE = "sync"
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("funnel:train"))
    assert response.status_code == 302
    assert PredictiveModel.objects.filter(active=True).exists()


def test_only_an_administrator_trains(client, org, history):
    client.force_login(org.east_manager)
    assert client.post(reverse("funnel:train")).status_code == 403
    assert not PredictiveModel.objects.exists()


def test_api_predictive_status(org, history):
    client = APIClient()
    client.force_authenticate(org.east_rep)
    body = client.get("/api/v1/funnel/predictive/").json()
    assert body["model"] is None and body["enough_history"] is True
    predictive.train()
    body = client.get("/api/v1/funnel/predictive/").json()
    assert body["model"]["n_samples"] == 200 and body["model"]["auc"] > 0.75
    assert body["closed"] == 200 and body["closed_needed"] == 0


def test_a_new_lead_gets_its_predicted_chance_when_it_is_created(history, org):
    from guanxi.leads.services import create_lead

    assert (
        create_lead(
            org.east_rep, {"person_name": "新线索", "source": "referral"}
        ).predicted_conversion
        is None
    )
    predictive.train()

    referral = create_lead(org.east_rep, {"person_name": "推荐", "source": "referral"})
    web = create_lead(org.east_rep, {"person_name": "网页", "source": "web_form"})

    assert referral.predicted_conversion > 50 > web.predicted_conversion
    stored = Lead.objects.get(pk=referral.pk).predicted_conversion
    assert stored == referral.predicted_conversion


def test_imported_leads_get_their_predicted_chance(history, org):
    from guanxi.leads.services import create_leads_bulk

    predictive.train()
    items = [
        (Lead(person_name=f"导入{i}", source=source), {})
        for i, source in enumerate(["referral", "web_form"])
    ]

    leads = create_leads_bulk(org.east_rep, items)

    chances = dict(
        Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list(
            "source", "predicted_conversion"
        )
    )
    assert chances["referral"] > 50 > chances["web_form"]
