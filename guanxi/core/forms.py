"""Forms of the core pages: login, preferences, sharing and the administration of people.

Forms only parse and validate input; the services in ``people.py`` and ``services.py`` write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import (
    TIME_ZONE_CHOICES,
    AccessLevel,
    Action,
    OwnedRecord,
    Role,
    ShareAccess,
    Team,
    User,
    record_models,
)


class StyledFormMixin:
    """Bootstrap classes on every widget and ``is-invalid`` on fields with errors.

    ``{{ form }}`` renders through ``includes/form.html``, which puts each error next to its
    field.
    """

    template_name = "includes/form.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            kind = type(widget).__name__
            if kind in {"CheckboxSelectMultiple", "RadioSelect", "CheckboxInput"}:
                css = "form-check-input"
            elif kind in {"Select", "SelectMultiple", "NullBooleanSelect"}:
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_invalid()

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if hasattr(self, "cleaned_data"):
            self.mark_invalid()


def apply_validation_error(
    form: forms.Form, exc: ValidationError, field_map: Mapping[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form: each message next to its field."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = field_map.get(name, name)
            messages = [m for e in errors for m in e.messages]
            form.add_error(target if target in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


# --------------------------------------------------------------------------------------------
# authentication and preferences
# --------------------------------------------------------------------------------------------


class LoginForm(StyledFormMixin, auth_forms.AuthenticationForm):
    """Django's login form; the backend accepts a username or an email address."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username or email")
        self.fields["username"].max_length = 254
        self.fields["username"].widget.attrs["maxlength"] = 254


class PasswordChangeForm(StyledFormMixin, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(StyledFormMixin, auth_forms.SetPasswordForm):
    pass


class PasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    """Reset by email, also for users an administrator created without a password.

    Django skips users without a usable password; here the reset link is how such a new
    user sets their first password. The email goes out in the recipient's language.
    """

    def get_users(self, email: str) -> Iterable[User]:
        return User.objects.filter(email__iexact=email, is_active=True).exclude(email="")

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        context = args[2] if len(args) > 2 else kwargs.get("context", {})
        language = getattr(context.get("user"), "language", None) or translation.get_language()
        with translation.override(language):
            super().send_mail(*args, **kwargs)


def language_choices() -> list[tuple[str, str]]:
    """Each language in its own name (简体中文), so anyone finds theirs."""
    return [
        (code, translation.get_language_info(code)["name_local"])
        for code, _name in settings.LANGUAGES
    ]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class ProfileForm(StyledFormMixin, forms.Form):
    """What a user sets for themself (``people.update_own_preferences``)."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=language_choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)

    fields_order = ("first_name", "last_name", "email", "language", "time_zone")

    @classmethod
    def initial_for(cls, user: User) -> dict[str, Any]:
        return {name: getattr(user, name) for name in cls.fields_order}

    def preferences(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields_order}


# --------------------------------------------------------------------------------------------
# sharing
# --------------------------------------------------------------------------------------------


class ShareForm(StyledFormMixin, forms.Form):
    """Share a record with one user or one team; ``target`` is ``user:<id>`` or ``team:<id>``."""

    target = forms.ChoiceField(label=_("Share with"))
    access = forms.ChoiceField(
        label=_("Access"), choices=ShareAccess.choices, initial=ShareAccess.READ
    )

    def __init__(self, *args: Any, exclude_user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = User.objects.filter(is_active=True, kind=User.Kind.STAFF)
        if exclude_user is not None:
            users = users.exclude(pk=exclude_user.pk)
        self.fields["target"].choices = [
            ("", _("Choose a user or a team…")),
            (_("Users"), [(f"user:{u.pk}", str(u)) for u in users]),
            (_("Teams"), [(f"team:{t.pk}", team_label(t)) for t in Team.objects.all()]),
        ]

    def clean_target(self) -> tuple[User | None, Team | None]:
        kind, _sep, pk = self.cleaned_data["target"].partition(":")
        try:
            if kind == "user":
                return User.objects.get(pk=int(pk), is_active=True), None
            if kind == "team":
                return None, Team.objects.get(pk=int(pk))
        except (User.DoesNotExist, Team.DoesNotExist, ValueError):
            pass
        raise ValidationError(_("Choose a user or a team."))


# --------------------------------------------------------------------------------------------
# administration
# --------------------------------------------------------------------------------------------


def team_label(team: Team) -> str:
    """The team's name indented by its depth in the hierarchy."""
    depth = max(team.path.count("/") - 2, 0)
    return f"{'— ' * depth}{team.name}"


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return team_label(obj)


def display_value(value: Any) -> str:
    """A readable form of a form value, for the 'saved meanwhile' hints of a stale form."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if hasattr(value, "all") and callable(value.all):
        value = list(value.all())
    if isinstance(value, (list, tuple, set)):
        return ", ".join(sorted(str(v) for v in value)) or "—"
    return str(value)


class VersionedForm(StyledFormMixin, forms.Form):
    """A form editing a versioned object: the hidden ``version`` it was based on."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def choice_display(self, name: str, value: Any) -> str:
        field = self.fields[name]
        choices = dict(getattr(field, "choices", []) or [])
        if not isinstance(field, forms.ModelChoiceField) and value in choices:
            return str(choices[value])
        return display_value(value)

    def show_saved_values(self, current: Mapping[str, Any]) -> None:
        """After a stale submit: note the saved value under each field that differs."""
        submitted = getattr(self, "cleaned_data", {})
        self.saved_values = {}
        for name, saved in current.items():
            if name not in self.fields or name == "version" or name not in submitted:
                continue
            mine = self.choice_display(name, submitted[name])
            theirs = self.choice_display(name, saved)
            if mine != theirs:
                self.saved_values[name] = theirs


class UserForm(VersionedForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    team = TeamChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=Role.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=User.Kind.choices, initial=User.Kind.STAFF)
    language = forms.ChoiceField(
        label=_("Language"), choices=language_choices, initial=settings.LANGUAGE_CODE
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial=settings.TIME_ZONE
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    password1 = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    data_fields = (
        "username",
        "email",
        "first_name",
        "last_name",
        "team",
        "kind",
        "language",
        "time_zone",
        "is_active",
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["password1"].label = _("New password")
            self.fields["password1"].help_text = _("Leave empty to keep the current password.")
        else:
            self.fields["password1"].help_text = _(
                "Leave empty to let the user choose one through “Forgot your password?”."
            )

    @classmethod
    def initial_for(cls, user: User) -> dict[str, Any]:
        initial = {name: getattr(user, name) for name in cls.data_fields}
        initial["roles"] = list(user.roles.all())
        initial["version"] = user.version
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned

    def user_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.data_fields}

    def role_codes(self) -> list[str]:
        return [role.code for role in self.cleaned_data["roles"]]


class TeamForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=150)
    parent = TeamChoiceField(label=_("Parent team"), queryset=Team.objects.all(), required=False)
    manager = forms.ModelChoiceField(
        label=_("Manager"),
        queryset=User.objects.filter(is_active=True, kind=User.Kind.STAFF),
        required=False,
    )

    data_fields = ("name", "parent", "manager")

    @classmethod
    def initial_for(cls, team: Team) -> dict[str, Any]:
        return {
            "name": team.name,
            "parent": team.parent,
            "manager": team.manager,
            "version": team.version,
        }

    def team_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.data_fields}


def role_object_types(extra: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The rows of the role matrix: owned record types, timeline entries, people, and ``*``."""
    rows: dict[str, str] = {}
    models = record_models()
    owned = [m for m in models if issubclass(m, OwnedRecord)]
    notes = [m for m in models if m._meta.model_name == "note"]
    for model in [*owned, *notes]:
        rows[model.object_type()] = str(model._meta.verbose_name_plural).capitalize()
    rows["user"] = str(_("Users, teams and roles"))
    for key in extra:
        rows.setdefault(key, key)
    rows["*"] = str(_("Every object type"))
    return list(rows.items())


class RoleForm(VersionedForm):
    """A role's name and its permission matrix: object types × actions."""

    code = forms.SlugField(label=_("Code"), max_length=50)
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, role: Role | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role = role
        existing = role.permissions.keys() if role is not None else ()
        self.object_types = role_object_types(existing)
        for object_type, type_label in self.object_types:
            for action, action_label in Action.choices:
                self.fields[self.perm_name(object_type, action)] = forms.BooleanField(
                    required=False,
                    label=f"{type_label}: {action_label}",
                    widget=forms.CheckboxInput(
                        attrs={
                            "class": "form-check-input",
                            "aria-label": f"{type_label}: {action_label}",
                        }
                    ),
                )
        if role is not None and role.is_builtin:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("A built-in role keeps its code.")

    @staticmethod
    def perm_name(object_type: str, action: str) -> str:
        return f"perm__{object_type}__{action}"

    @classmethod
    def initial_for(cls, role: Role) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "code": role.code,
            "name": role.name,
            "description": role.description,
            "version": role.version,
        }
        for object_type, actions in role.permissions.items():
            for action in actions:
                initial[cls.perm_name(object_type, action)] = True
        return initial

    def matrix(self) -> list[tuple[str, list[Any]]]:
        """Rows for the template: (label, [bound checkbox per action])."""
        return [
            (label, [self[self.perm_name(object_type, action)] for action in Action.values])
            for object_type, label in self.object_types
        ]

    def actions(self) -> list[str]:
        return [str(label) for label in Action.labels]

    def permissions(self) -> dict[str, list[str]]:
        permissions = {}
        for object_type, _label in self.object_types:
            actions = [
                action
                for action in Action.values
                if self.cleaned_data.get(self.perm_name(object_type, action))
            ]
            if actions:
                permissions[object_type] = actions
        return permissions

    def role_data(self) -> dict[str, Any]:
        data = {
            "name": self.cleaned_data["name"],
            "description": self.cleaned_data["description"],
            "permissions": self.permissions(),
        }
        if not self.fields["code"].disabled:
            data["code"] = self.cleaned_data["code"]
        return data


def policy_object_types() -> list[tuple[str, str]]:
    """Object types with an organisation-wide default: those whose records have owners."""
    return [
        (model.object_type(), str(model._meta.verbose_name_plural).capitalize())
        for model in record_models()
        if issubclass(model, OwnedRecord)
    ]


class AccessPolicyForm(StyledFormMixin, forms.Form):
    """One default access level per object type, each with the version it was based on."""

    def __init__(self, *args: Any, versions: Mapping[str, int] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.object_types = policy_object_types()
        for object_type, label in self.object_types:
            self.fields[object_type] = forms.ChoiceField(
                label=label,
                choices=AccessLevel.choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
            self.fields[f"version__{object_type}"] = forms.IntegerField(
                required=False, widget=forms.HiddenInput
            )

    def levels(self) -> list[tuple[str, str, int | None]]:
        return [
            (
                object_type,
                self.cleaned_data[object_type],
                self.cleaned_data.get(f"version__{object_type}"),
            )
            for object_type, _label in self.object_types
        ]
