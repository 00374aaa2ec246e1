"""``/api/v1/jobs/``: the status and progress of background jobs a user started."""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, serializers, viewsets

from guanxi.core.jobs import job_state
from guanxi.core.models import Job

from .permissions import IsStaff


class JobSerializer(serializers.ModelSerializer):
    """A job as watchers see it: live progress and message (ahead of the row while it runs)."""

    status = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "message",
            "result",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def _state(self, job: Job) -> dict[str, Any]:
        cache = self.context.setdefault("_job_states", {})
        if job.pk not in cache:
            cache[job.pk] = job_state(job)
        return cache[job.pk]

    def get_status(self, job: Job) -> str:
        return self._state(job)["status"]

    def get_progress(self, job: Job) -> int:
        return int(self._state(job)["progress"])

    def get_message(self, job: Job) -> str:
        return str(self._state(job)["message"])


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Jobs the caller started (administrators: every job); others' jobs answer 404."""

    serializer_class = JobSerializer
    permission_classes = [IsStaff]
    lookup_value_regex = r"\d+"
    filterset_fields = ["kind", "status"]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self) -> Any:
        return Job.objects.visible_to(self.request.user).order_by("-created_at", "-id")
