"""The API routes of pipelines, opportunities, objections and the customer pool, registered on
the one v1 router. Imported by ``guanxi/api_urls.py`` before it builds the router's URLs."""

from guanxi.core.api.router import register

from .views import (
    ObjectionViewSet,
    OpportunityViewSet,
    PipelineViewSet,
    PoolCapViewSet,
    PoolRuleViewSet,
    PoolViewSet,
)

register("pipelines", PipelineViewSet, "pipeline")
register("opportunities", OpportunityViewSet, "opportunity")
register("objections", ObjectionViewSet, "objection")
register("pool", PoolViewSet, "pool")
register("pool-rules", PoolRuleViewSet, "pool-rule")
register("pool-caps", PoolCapViewSet, "pool-cap")

urlpatterns: list = []
