"""The user's own settings and the language switch (also for anonymous visitors)."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import people
from ..forms import LanguageForm, ProfileForm, apply_validation_error
from .base import safe_next


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """/me/: name, email, language and time zone, saved by ``update_own_preferences``."""
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                people.update_own_preferences(user, form.preferences())
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                # The middleware chose the language before the change; the confirmation and
                # every page from now on speak the new one.
                translation.activate(user.language)
                messages.success(request, _("Your settings are saved."))
                return redirect("profile")
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(user))
    return render(request, "core/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the language: a user's own setting, or the session's before logging in."""
    form = LanguageForm(request.POST)
    target = safe_next(request, reverse("home"))
    if not form.is_valid():
        return HttpResponseRedirect(target)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        # Should another preference of this user be invalid (set before validation existed),
        # the language still applies to this session.
        with contextlib.suppress(ValidationError):
            people.update_own_preferences(request.user, {"language": language})
    request.session["language"] = language
    translation.activate(language)
    return HttpResponseRedirect(target)
