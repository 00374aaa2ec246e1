from django.urls import include, path

urlpatterns = [
    path("", include("guanxi.core.urls")),
    path("customers/", include("guanxi.customers.urls")),
    path("sales/", include("guanxi.sales.urls")),
    path("data/", include("guanxi.dataio.urls")),
    path("leads/", include("guanxi.leads.urls")),
    path("marketing/", include("guanxi.marketing.urls")),
    path("f/", include("guanxi.leads.public_urls")),
    path("funnel/", include("guanxi.leads.funnel_urls")),
    path("activities/", include("guanxi.activities.urls")),
    path("sequences/", include("guanxi.leads.nurturing_urls")),
    path("admin/webhooks/", include("guanxi.webhooks.urls")),
    path("api/", include("guanxi.api_urls")),
]
