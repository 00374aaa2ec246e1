from django.urls import path

from . import views

app_name = "dataio"
urlpatterns = [
    path("imports/", views.import_start, name="import-list"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/mapping/", views.import_mapping, name="import-mapping"),
    path("imports/<int:pk>/apply/", views.import_apply, name="import-apply"),
    path("export/<slug:type_name>.<slug:file_format>", views.export, name="export"),
    path("exports/<int:pk>/", views.export_detail, name="export-detail"),
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
]
