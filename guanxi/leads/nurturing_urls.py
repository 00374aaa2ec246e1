"""Nurturing pages, mounted at /sequences/ (namespace ``nurturing``)."""

from django.urls import path

from . import nurturing_views as views

app_name = "nurturing"

urlpatterns = [
    path("", views.sequence_list, name="sequence-list"),
    path("new/", views.sequence_create, name="sequence-create"),
    path("<int:pk>/", views.sequence_detail, name="sequence-detail"),
    path("<int:pk>/edit/", views.sequence_edit, name="sequence-edit"),
    path("<int:pk>/delete/", views.sequence_delete, name="sequence-delete"),
    path("enroll/", views.enroll, name="enroll"),
    path("enrollments/<int:pk>/stop/", views.enrollment_stop, name="enrollment-stop"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
