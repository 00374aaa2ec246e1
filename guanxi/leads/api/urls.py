"""The API routes of leads and campaigns, registered on the one v1 router.

Imported by ``guanxi/api_urls.py`` before it builds the router's URLs.
"""

from guanxi.core.api.router import register
from guanxi.marketing.api.views import CampaignViewSet

from .views import (
    AssignmentRuleViewSet,
    LeadScoringRuleViewSet,
    LeadViewSet,
    RepAvailabilityViewSet,
    WebFormViewSet,
)

register("leads", LeadViewSet, "lead")
register("lead-scoring-rules", LeadScoringRuleViewSet, "lead-scoring-rule")
register("assignment-rules", AssignmentRuleViewSet, "assignment-rule")
register("rep-availability", RepAvailabilityViewSet, "rep-availability")
register("web-forms", WebFormViewSet, "web-form")
register("campaigns", CampaignViewSet, "campaign")

urlpatterns: list = []
