"""``manage.py train_lead_model``: learn the predictive score from the closed leads and score
the open ones (the weekly job; ``--score-only`` is the nightly one). For cron in the embedded
setup; with Celery, beat runs the same functions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guanxi.leads import predictive


class Command(BaseCommand):
    help = (
        "Train the lead conversion model on the closed leads (when there are enough) and give "
        "every open lead its predicted chance to convert."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--score-only",
            action="store_true",
            help="Do not train: re-score the open leads with the active model.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["score_only"]:
            model = predictive.active_model()
            if model is None:
                self.stdout.write("No predictive model yet: nothing scored.")
                return
            result = predictive.score_open_leads()
            self.stdout.write(f"{result['scored']} open leads scored with model #{model.pk}.")
            return
        result = predictive.train_and_score()
        if result["trained"]:
            self.stdout.write(self.style.SUCCESS(result["message"]))
        else:
            self.stdout.write(self.style.WARNING(result["message"] or "No model trained."))
