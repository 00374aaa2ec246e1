"""Administration pages: users, teams, roles and access policies (administrators only).

Every write goes through ``people.py``; a form submitted on an old version is refused and
shown again with what was saved meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import people, scheduler
from ..errors import StaleVersion
from ..forms import (
    AccessPolicyForm,
    PasswordResetForm,
    RoleForm,
    TeamForm,
    UserForm,
    VersionedForm,
    apply_validation_error,
    policy_object_types,
)
from ..models import AccessLevel, AccessPolicy, Action, Role, Team, User
from .base import admin_required


def stale_form(
    form_class: type[VersionedForm],
    request: HttpRequest,
    exc: StaleVersion,
    **kwargs: Any,
) -> VersionedForm:
    """The submitted form again, now based on the saved version, with a clear error.

    The user's values stay in the fields; under each field that differs the value saved
    meanwhile is shown; saving again keeps the user's values on top of the new version.
    """
    data = request.POST.copy()
    data["version"] = str(exc.current.version)
    form = form_class(data, **kwargs)
    form.is_valid()
    form.show_saved_values(form_class.initial_for(exc.current))
    form.add_error(
        None,
        _(
            "Someone else saved this while you were editing it. Nothing of yours was saved. "
            "Their values are shown under the fields that differ; save again to keep yours."
        ),
    )
    return form


# --------------------------------------------------------------------------------------------
# users
# --------------------------------------------------------------------------------------------


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    users = User.objects.select_related("team").prefetch_related("roles").order_by("username")
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(email__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
        )
    status = request.GET.get("status", "active")
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    return render(request, "core/admin/user_list.html", {"users": users, "q": q, "status": status})


@admin_required
def user_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = UserForm(request.POST)
        if form.is_valid():
            try:
                user = people.create_user(
                    request.user,
                    form.user_data(),
                    password=form.cleaned_data["password1"] or None,
                    roles=form.role_codes(),
                )
            except ValidationError as exc:
                apply_validation_error(form, exc, {"password": "password1"})
            else:
                messages.success(request, _("User %s is created.") % user)
                return redirect("admin-user-list")
    else:
        form = UserForm(initial={"roles": list(Role.objects.filter(code="sales_rep"))})
    return render(request, "core/admin/user_form.html", {"form": form, "creating": True})


@admin_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    if request.method == "POST":
        form = UserForm(request.POST, editing=True)
        if form.is_valid():
            try:
                people.update_user(
                    request.user,
                    user,
                    form.user_data(),
                    expected_version=form.cleaned_data["version"],
                    roles=form.role_codes(),
                    password=form.cleaned_data["password1"] or None,
                )
            except StaleVersion as exc:
                form = stale_form(UserForm, request, exc, editing=True)
            except ValidationError as exc:
                apply_validation_error(form, exc, {"password": "password1"})
            else:
                messages.success(request, _("User %s is saved.") % user.username)
                return redirect("admin-user-list")
    else:
        form = UserForm(initial=UserForm.initial_for(user), editing=True)
    return render(
        request, "core/admin/user_form.html", {"form": form, "creating": False, "subject": user}
    )


@admin_required
@require_POST
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (or reactivate) a user: they can no longer log in; their records stay."""
    user = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        people.update_user(request.user, user, {"is_active": active}, expected_version=version)
    except StaleVersion:
        messages.error(
            request, _("%s was changed meanwhile; look again and retry.") % user.username
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if active:
            messages.success(request, _("%s can log in again.") % user.username)
        else:
            messages.success(request, _("%s is deactivated.") % user.username)
    return redirect("admin-user-list")


@admin_required
@require_POST
def user_send_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Email the user a link to choose a new password."""
    user = get_object_or_404(User, pk=pk)
    if not user.email or not user.is_active:
        messages.error(request, _("%s has no email address or is inactive.") % user.username)
        return redirect("admin-user-edit", pk)
    form = PasswordResetForm({"email": user.email})
    form.is_valid()
    form.save(
        request=request,
        use_https=request.is_secure(),
        token_generator=default_token_generator,
        subject_template_name="registration/password_reset_subject.txt",
        email_template_name="registration/password_reset_email.txt",
    )
    messages.success(request, _("A password-reset link is sent to %s.") % user.email)
    return redirect("admin-user-edit", pk)


@admin_required
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift a login lockout (too many failed attempts) before it expires by itself."""
    from axes.utils import reset

    user = get_object_or_404(User, pk=pk)
    # Attempts are counted per name typed: the username or the email address.
    cleared = sum(reset(username=name) for name in {user.username, user.email} if name)
    if cleared:
        messages.success(request, _("%s can try to log in again.") % user.username)
    else:
        messages.info(request, _("%s was not locked out.") % user.username)
    return redirect("admin-user-edit", pk)


# --------------------------------------------------------------------------------------------
# teams
# --------------------------------------------------------------------------------------------


def team_tree() -> list[Team]:
    """Teams in hierarchy order (siblings by name), each with ``depth`` set."""
    teams = list(Team.objects.select_related("manager").annotate(member_count=Count("members")))
    children: dict[int | None, list[Team]] = defaultdict(list)
    for team in teams:
        children[team.parent_id].append(team)
    ordered: list[Team] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for team in sorted(children.get(parent_id, []), key=lambda t: t.name.lower()):
            team.depth = depth
            team.indent_rem = depth * 1.5
            ordered.append(team)
            walk(team.pk, depth + 1)

    walk(None, 0)
    return ordered


@admin_required
def team_list(request: HttpRequest) -> HttpResponse:
    return render(request, "core/admin/team_list.html", {"teams": team_tree()})


@admin_required
def team_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = TeamForm(request.POST)
        if form.is_valid():
            try:
                team = people.create_team(request.user, form.team_data())
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Team %s is created.") % team)
                return redirect("admin-team-list")
    else:
        form = TeamForm(initial={"parent": request.GET.get("parent") or None})
    return render(request, "core/admin/team_form.html", {"form": form, "creating": True})


@admin_required
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    if request.method == "POST":
        form = TeamForm(request.POST)
        if form.is_valid():
            try:
                people.update_team(
                    request.user,
                    team,
                    form.team_data(),
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersion as exc:
                form = stale_form(TeamForm, request, exc)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Team %s is saved.") % form.cleaned_data["name"])
                return redirect("admin-team-list")
    else:
        form = TeamForm(initial=TeamForm.initial_for(team))
    members = team.members.order_by("username")
    return render(
        request,
        "core/admin/team_form.html",
        {"form": form, "creating": False, "subject": team, "members": members},
    )


@admin_required
@require_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    try:
        people.delete_team(request.user, team)
    except ValidationError as exc:
        messages.error(
            request,
            _("Team %(team)s is kept: %(reason)s")
            % {"team": team, "reason": " ".join(exc.messages)},
        )
        return redirect("admin-team-edit", pk)
    messages.success(request, _("Team %s is deleted.") % team)
    return redirect("admin-team-list")


# --------------------------------------------------------------------------------------------
# roles
# --------------------------------------------------------------------------------------------


@admin_required
def role_list(request: HttpRequest) -> HttpResponse:
    roles = Role.objects.annotate(
        user_count=Count("users", filter=Q(users__is_active=True))
    ).order_by("-is_builtin", "name")
    rows = []
    labels = dict(Action.choices)
    for role in roles:
        grants = [
            (key, [str(labels.get(a, a)) for a in actions])
            for key, actions in sorted(role.permissions.items())
        ]
        rows.append((role, grants))
    return render(request, "core/admin/role_list.html", {"rows": rows})


@admin_required
def role_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = RoleForm(request.POST)
        if form.is_valid():
            try:
                role = people.create_role(request.user, form.role_data())
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Role %s is created.") % role)
                return redirect("admin-role-list")
    else:
        form = RoleForm()
    return render(request, "core/admin/role_form.html", {"form": form, "creating": True})


@admin_required
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    role = get_object_or_404(Role, pk=pk)
    if request.method == "POST":
        form = RoleForm(request.POST, role=role, initial={"code": role.code})
        if form.is_valid():
            try:
                people.update_role(
                    request.user,
                    role,
                    form.role_data(),
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersion as exc:
                form = stale_form(RoleForm, request, exc, role=exc.current)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("Role %s is saved.") % form.cleaned_data["name"])
                return redirect("admin-role-list")
    else:
        form = RoleForm(initial=RoleForm.initial_for(role), role=role)
    return render(
        request, "core/admin/role_form.html", {"form": form, "creating": False, "subject": role}
    )


@admin_required
@require_POST
def role_delete(request: HttpRequest, pk: int) -> HttpResponse:
    role = get_object_or_404(Role, pk=pk)
    try:
        people.delete_role(request.user, role)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("admin-role-edit", pk)
    messages.success(request, _("Role %s is deleted.") % role)
    return redirect("admin-role-list")


# --------------------------------------------------------------------------------------------
# access policies
# --------------------------------------------------------------------------------------------


@admin_required
def access_policies(request: HttpRequest) -> HttpResponse:
    """The organisation-wide default access of each object type."""
    policies = {p.object_type: p for p in AccessPolicy.objects.all()}
    initial: dict[str, Any] = {}
    for object_type, _label in policy_object_types():
        policy = policies.get(object_type)
        initial[object_type] = policy.default_access if policy else AccessLevel.PRIVATE
        initial[f"version__{object_type}"] = policy.version if policy else None
    if request.method == "POST":
        form = AccessPolicyForm(request.POST)
        if form.is_valid():
            try:
                # All or nothing: one stale type leaves every type as it was.
                with transaction.atomic():
                    for object_type, level, version in form.levels():
                        if level != initial[object_type]:
                            people.set_access_policy(
                                request.user, object_type, level, expected_version=version
                            )
            except StaleVersion:
                messages.error(
                    request,
                    _(
                        "Someone else changed the access policies meanwhile; the saved values "
                        "are shown now. Make your change again."
                    ),
                )
                return redirect("admin-access-policies")
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("The access policies are saved."))
                return redirect("admin-access-policies")
    else:
        form = AccessPolicyForm(initial=initial)
    return render(
        request,
        "core/admin/access_policies.html",
        {"form": form, "levels": AccessLevel.choices},
    )


@admin_required
@require_POST
def scheduled_task_run(request: HttpRequest, name: str) -> HttpResponse:
    """Start one periodic task now ("Run now")."""
    try:
        entry = scheduler.run_now(name, actor=request.user)
    except KeyError:
        raise Http404(_("No such scheduled task.")) from None
    messages.success(
        request,
        _("“%(task)s” has started; reload the page to see how it went.") % {"task": entry.label},
    )
    return redirect("admin-scheduled-tasks")


@admin_required
def scheduled_tasks(request: HttpRequest) -> HttpResponse:
    """The periodic tasks, who runs them, and how each one's last run went."""
    return render(
        request,
        "core/admin/scheduled_tasks.html",
        {"tasks": scheduler.task_statuses(), "runner": scheduler.runner_description()},
    )
