"""The public web form: a page (and an HTML snippet) anyone may post a lead through.

``/f/<token>/`` answers GET with a hosted version of the form (also what the iframe shows) and
takes the POST of the hosted form or of the snippet embedded on a company's own site. The POST
is cross-site by design, so it carries no CSRF token; instead:

- a honeypot field that people never see: a robot that fills it gets the usual thank-you page
  and nothing is created;
- a rate limit per client address (by default 5 submits a minute and 50 a day), answered 429;
- size limits: a body over 10 KB, or a field over its length, is refused with 400 and a page
  listing what is wrong; nothing is created;
- every value is validated by the lead model itself (mobile, email …).

A valid submit becomes a lead at once, in the request: scored, assigned by the rules, with a
``form_submit`` behaviour, its new owner notified. The pages follow the browser's language.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from . import services
from .models import Lead, WebForm
from .rules import PUBLIC_FIELDS

#: The field people never see; only robots fill it in.
HONEYPOT = "website"
CONTACT_FIELDS = ("mobile", "phone", "email")
TEXT_LIMIT = 2000  # a long text field (need, notes) on a public form


def max_body_bytes() -> int:
    return int(getattr(settings, "GUANXI_WEBFORM_MAX_BYTES", 10 * 1024))


def rate_limits() -> tuple[int, int]:
    """(submits per minute, submits per day) allowed from one client address."""
    per_minute, per_day = getattr(settings, "GUANXI_WEBFORM_RATE", (5, 50))
    return int(per_minute), int(per_day)


# --------------------------------------------------------------------------------------------
# the form
# --------------------------------------------------------------------------------------------


def shown_fields(web_form: WebForm) -> list[str]:
    """The form's fields in order, the name always first, only fields a public form may ask."""
    wanted = [f for f in (web_form.fields or []) if f in PUBLIC_FIELDS]
    return list(dict.fromkeys(["person_name", *wanted]))


class PublicLeadForm(forms.Form):
    """The fields a web form shows, built from the lead model (its labels and validators)."""

    def __init__(self, *args: Any, web_form: WebForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.web_form = web_form
        model_fields = forms.fields_for_model(Lead, fields=shown_fields(web_form))
        for name, form_field in model_fields.items():
            if isinstance(form_field.widget, forms.Textarea):
                form_field.max_length = TEXT_LIMIT
                form_field.validators.append(MaxLengthValidator(TEXT_LIMIT))
                form_field.widget.attrs.update({"rows": 4, "maxlength": TEXT_LIMIT})
            if name == "person_name":
                form_field.required = True
                form_field.widget.attrs["autocomplete"] = "name"
            elif name == "mobile":
                form_field.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
            elif name == "email":
                form_field.widget.attrs.update({"inputmode": "email", "autocomplete": "email"})
            elif name == "company":
                form_field.widget.attrs["autocomplete"] = "organization"
            css = "form-select" if isinstance(form_field.widget, forms.Select) else "form-control"
            form_field.widget.attrs.setdefault("class", css)
            self.fields[name] = form_field

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        asked = [name for name in CONTACT_FIELDS if name in self.fields]
        if (
            asked
            and not any(data.get(name) for name in asked)
            and not any(name in self.errors for name in asked)
        ):
            labels = ", ".join(str(self.fields[name].label).lower() for name in asked)
            raise ValidationError(
                _("Give at least one way to reach you: %(fields)s.") % {"fields": labels}
            )
        return data

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"

    def lead_data(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name in self.fields}

    def error_list(self) -> list[tuple[str, str]]:
        """(field label or "", message) for every problem, for the error page's summary."""
        rows: list[tuple[str, str]] = []
        for name, errors in self.errors.items():
            label = str(self.fields[name].label) if name in self.fields else ""
            rows.extend((label, str(message)) for message in errors)
        return rows


# --------------------------------------------------------------------------------------------
# spam protection
# --------------------------------------------------------------------------------------------


def client_address(request: HttpRequest) -> str:
    """The submitter's address: ``REMOTE_ADDR``, or (behind ``GUANXI_TRUSTED_PROXIES`` proxies)
    the address the nearest untrusted hop gave in ``X-Forwarded-For``."""
    proxies = int(getattr(settings, "GUANXI_TRUSTED_PROXIES", 0) or 0)
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h]
    return hops[-proxies] if len(hops) >= proxies else remote


def allow_submit(address: str, now: float | None = None) -> bool:
    """Count a submit from ``address``; False once it is over the minute or the day limit.

    The minute is a sliding window (the times of the last submits), the day a counter; both
    live in the cache, which every web process shares when Redis is configured.
    """
    per_minute, per_day = rate_limits()
    now = time.time() if now is None else now
    minute_key = f"guanxi:webform:minute:{address}"
    day_key = f"guanxi:webform:day:{address}:{int(now // 86400)}"
    recent = [t for t in (cache.get(minute_key) or []) if now - t < 60]
    if len(recent) >= per_minute or (cache.get(day_key) or 0) >= per_day:
        return False
    recent.append(now)
    cache.set(minute_key, recent, 60)
    if not cache.add(day_key, 1, 86400):
        try:
            cache.incr(day_key)
        except ValueError:  # expired in between
            cache.set(day_key, 1, 86400)
    return True


# --------------------------------------------------------------------------------------------
# snippets shown to administrators
# --------------------------------------------------------------------------------------------


def public_url(request: HttpRequest, web_form: WebForm) -> str:
    return request.build_absolute_uri(reverse("webforms:submit", args=[web_form.token]))


def embed_snippet(request: HttpRequest, web_form: WebForm) -> str:
    """A plain HTML form to paste into a page of the company's site."""
    return render_to_string(
        "leads/public/snippet.html",
        {
            "action": public_url(request, web_form),
            "form": PublicLeadForm(web_form=web_form),
            "honeypot": HONEYPOT,
            "web_form": web_form,
        },
    ).strip()


def iframe_snippet(request: HttpRequest, web_form: WebForm) -> str:
    return render_to_string(
        "leads/public/iframe.html", {"src": public_url(request, web_form), "web_form": web_form}
    ).strip()


# --------------------------------------------------------------------------------------------
# the endpoint
# --------------------------------------------------------------------------------------------

GENERIC_THANKS = gettext_lazy("Thank you! We have received your details and will be in touch.")


def _active_form(token: str) -> WebForm:
    web_form = WebForm.objects.select_related("campaign").filter(token=token).first()
    if web_form is None or not web_form.is_active:
        raise Http404(_("No such form."))
    return web_form


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, f"leads/public/{template}", context, status=status)
    patch_vary_headers(response, ["Accept-Language"])
    return response


def _form_page(
    request: HttpRequest,
    web_form: WebForm,
    form: PublicLeadForm,
    status: int = 200,
    problems: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    context = {
        "web_form": web_form,
        "form": form,
        "honeypot": HONEYPOT,
        "action": reverse("webforms:submit", args=[web_form.token]),
        "problems": problems or [],
    }
    return _page(request, "form.html", context, status)


def _thanks(request: HttpRequest, web_form: WebForm) -> HttpResponse:
    if web_form.redirect_url:
        return HttpResponseRedirect(web_form.redirect_url)
    message = web_form.thank_you_message or GENERIC_THANKS
    return _page(request, "thanks.html", {"web_form": web_form, "message": message})


@csrf_exempt
@xframe_options_exempt
@never_cache
def submit(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the hosted form. POST: one submit, checked, and a lead at once."""
    web_form = _active_form(token)
    if request.method in ("GET", "HEAD"):
        return _form_page(request, web_form, PublicLeadForm(web_form=web_form))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    if not allow_submit(client_address(request)):
        return _page(request, "too_many.html", {"web_form": web_form}, status=429)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_body_bytes():
        problem = _("What you sent is too large (more than %(size)s KB).") % {
            "size": max_body_bytes() // 1024
        }
        form = PublicLeadForm(web_form=web_form)
        return _form_page(request, web_form, form, status=400, problems=[("", problem)])
    if request.POST.get(HONEYPOT):
        return _thanks(request, web_form)  # a robot: it learns nothing, nothing is created
    form = PublicLeadForm(request.POST, web_form=web_form)
    if form.is_valid():
        try:
            services.capture_web_lead(web_form, form.lead_data())
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            return _thanks(request, web_form)
    return _form_page(request, web_form, form, status=400, problems=form.error_list())
