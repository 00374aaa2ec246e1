"""Core pages. Names are global (no namespace): ``{% url 'history' 'account' obj.pk %}``."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import forms
from .views import admin, home, jobs, preferences, records, recycle_bin, search

# Django's authentication views with our forms and templates. Under /auth/, since
# /accounts/ means customer accounts in a CRM.
auth_patterns = [
    path(
        "auth/login/",
        auth_views.LoginView.as_view(
            authentication_form=forms.LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("auth/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "auth/password/change/",
        auth_views.PasswordChangeView.as_view(form_class=forms.PasswordChangeForm),
        name="password_change",
    ),
    path(
        "auth/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "auth/password/reset/",
        auth_views.PasswordResetView.as_view(
            form_class=forms.PasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "auth/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "auth/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=forms.SetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "auth/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("language/", preferences.set_language, name="set-language"),
]

admin_patterns = [
    path("admin/users/", admin.user_list, name="admin-user-list"),
    path("admin/users/new/", admin.user_create, name="admin-user-create"),
    path("admin/users/<int:pk>/", admin.user_edit, name="admin-user-edit"),
    path("admin/users/<int:pk>/active/", admin.user_set_active, name="admin-user-set-active"),
    path("admin/users/<int:pk>/send-reset/", admin.user_send_reset, name="admin-user-send-reset"),
    path("admin/users/<int:pk>/unlock/", admin.user_unlock, name="admin-user-unlock"),
    path("admin/teams/", admin.team_list, name="admin-team-list"),
    path("admin/teams/new/", admin.team_create, name="admin-team-create"),
    path("admin/teams/<int:pk>/", admin.team_edit, name="admin-team-edit"),
    path("admin/teams/<int:pk>/delete/", admin.team_delete, name="admin-team-delete"),
    path("admin/roles/", admin.role_list, name="admin-role-list"),
    path("admin/roles/new/", admin.role_create, name="admin-role-create"),
    path("admin/roles/<int:pk>/", admin.role_edit, name="admin-role-edit"),
    path("admin/roles/<int:pk>/delete/", admin.role_delete, name="admin-role-delete"),
    path("admin/access/", admin.access_policies, name="admin-access-policies"),
    path("admin/scheduled/", admin.scheduled_tasks, name="admin-scheduled-tasks"),
    path(
        "admin/scheduled/<slug:name>/run/",
        admin.scheduled_task_run,
        name="admin-scheduled-task-run",
    ),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("me/", preferences.profile, name="profile"),
    path("search/", search.search, name="search"),
    path("history/<str:object_type>/<int:pk>/", records.history, name="history"),
    path("shares/<str:object_type>/<int:pk>/", records.shares, name="shares"),
    path(
        "shares/<str:object_type>/<int:pk>/<int:share_id>/delete/",
        records.share_delete,
        name="share-delete",
    ),
    path("jobs/<int:pk>/", jobs.job_progress, name="job-progress"),
    path("recycle-bin/", recycle_bin.recycle_bin, name="recycle-bin"),
    path(
        "recycle-bin/<int:pk>/restore/",
        recycle_bin.recycle_bin_restore,
        name="recycle-bin-restore",
    ),
    *auth_patterns,
    *admin_patterns,
]
