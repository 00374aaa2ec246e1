"""The REST API, mounted at /api/: version 1 under v1/, the OpenAPI schema and its docs.

Every app's viewsets register on the one router of ``guanxi.core.api.router`` here, so they
share the v1 root, the schema and the conventions of ``docs/api.md``.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from guanxi.activities.api import urls as activities_api  # noqa: F401 - registers activities
from guanxi.core.api import views as core_api
from guanxi.core.api.router import register, router
from guanxi.customers.api import views as customers_api
from guanxi.dataio.api import urls as dataio_api
from guanxi.leads import (
    funnel_api,  # noqa: F401 - registers the lead funnel
    nurturing_api,  # noqa: F401 - registers sequences and enrollments
)
from guanxi.leads.api import urls as leads_api  # noqa: F401 - registers leads and campaigns
from guanxi.sales.api import urls as sales_api  # noqa: F401 - registers pipelines, deals, pool
from guanxi.webhooks.api import urls as webhooks_api  # noqa: F401 - registers webhooks

app_name = "api"

# customers
register("accounts", customers_api.AccountViewSet, "account")
register("contacts", customers_api.ContactViewSet, "contact")
# timeline, history, recycle bin, shares
register("notes", core_api.NoteViewSet, "note")
register("changes", core_api.ChangeViewSet, "change")
register("recycle-bin", core_api.RecycleBinViewSet, "recycle-bin")
register("shares", core_api.ShareViewSet, "share")
# people and access (administrators write)
register("users", core_api.UserViewSet, "user")
register("teams", core_api.TeamViewSet, "team")
register("roles", core_api.RoleViewSet, "role")
register("access-policies", core_api.AccessPolicyViewSet, "access-policy")
# imports, exports and the jobs that run them (registered by guanxi.dataio.api.urls)
# pipelines, opportunities, objections and the pool (registered by guanxi.sales.api.urls)
# leads, their administration and campaigns (registered by guanxi.leads.api.urls)

urlpatterns = [
    path("v1/auth/token/", core_api.TokenView.as_view(), name="token"),
    path("v1/search/", core_api.SearchView.as_view(), name="search"),
    path("v1/scheduled-tasks/", core_api.ScheduledTaskView.as_view(), name="scheduled-tasks"),
    path(
        "v1/scheduled-tasks/<slug:name>/run/",
        core_api.ScheduledTaskRunView.as_view(),
        name="scheduled-task-run",
    ),
    path("v1/", include(dataio_api.urlpatterns)),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
