"""Customer pages: thin views over the generic pages, the customer services and selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from guanxi.core import services as core
from guanxi.core.errors import StaleVersion
from guanxi.core.generic import (
    HISTORY_TAB,
    SHARING_TAB,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    RecordAutocompleteWidget,
    RecordServices,
    Tab,
    display_value,
    is_htmx,
    paginate,
    record_field_values,
    reverse_or_none,
)
from guanxi.core.models import Action, Note
from guanxi.core.search import search_filter

from . import selectors, services
from .filters import AccountFilterSet, ContactFilterSet
from .forms import (
    AccountForm,
    ConsentForm,
    ContactForm,
    FlowPeriodForm,
    MoveClassForm,
    NoteForm,
)
from .models import (
    ALLOWED_TRANSITIONS,
    CONSENT_CHANNELS,
    Account,
    ClassTransition,
    Contact,
    RelationshipClass,
)
from .tables import AccountTable, ContactTable

ACCOUNT_SERVICES = RecordServices(
    model=Account,
    create=services.create_account,
    update=services.update_account,
    delete=services.delete_account,
)
CONTACT_SERVICES = RecordServices(
    model=Contact,
    create=services.create_contact,
    update=services.update_contact,
    delete=services.delete_contact,
)
TIMELINE_PAGE = 20


# --------------------------------------------------------------------------------------------
# lists
# --------------------------------------------------------------------------------------------


class AccountListView(ObjectListView):
    services = ACCOUNT_SERVICES
    filterset_class = AccountFilterSet
    table_class = AccountTable
    template_name = "customers/account_list.html"
    title = gettext_lazy("Accounts")
    create_url_name = "customers:account-create"
    primary_filters = (
        "relationship_class",
        "owner",
        "team",
        "tag",
        "province",
        "city",
        "created_after",
        "created_before",
        "last_activity_after",
        "last_activity_before",
    )


class ContactListView(ObjectListView):
    services = CONTACT_SERVICES
    filterset_class = ContactFilterSet
    table_class = ContactTable
    template_name = "customers/contact_list.html"
    title = gettext_lazy("Contacts")
    create_url_name = "customers:contact-create"
    primary_filters = (
        "buying_role",
        "owner",
        "team",
        "tag",
        "relationship_class",
        "city",
        "created_after",
        "created_before",
        "last_activity_after",
        "last_activity_before",
    )


# --------------------------------------------------------------------------------------------
# detail pages
# --------------------------------------------------------------------------------------------


def _field_rows(obj: Any, names: list[str]) -> list[tuple[Any, Any]]:
    """(label, value) for the overview: choice labels, linked records, "—" when empty."""
    rows = []
    model = type(obj)
    values = record_field_values(obj, names)
    for name in names:
        model_field = model._meta.get_field(name)
        label = model_field.verbose_name
        value = getattr(obj, name)
        if model_field.is_relation and value is not None and hasattr(value, "get_absolute_url"):
            shown: Any = format_html('<a href="{}">{}</a>', value.get_absolute_url(), value)
        elif model_field.is_relation:
            shown = str(value) if value is not None else "—"
        elif name == "website" and value:
            shown = format_html('<a href="{}" rel="noopener" target="_blank">{}</a>', value, value)
        elif name == "email" and value:
            shown = format_html('<a href="mailto:{}">{}</a>', value, value)
        elif isinstance(value, (dt.datetime, dt.date)):
            shown = value
        else:
            shown = display_value(model, name, values.get(name))
        rows.append((label, shown))
    return rows


class TimelineTabMixin:
    """The timeline tab: entries newest first, "load more", and the form to log one."""

    def timeline_queryset(self, obj: Any) -> Any:
        raise NotImplementedError

    def timeline_contacts(self, obj: Any) -> list[Contact]:
        return []

    def timeline_url(self, obj: Any) -> str:
        raise NotImplementedError

    def tab_timeline_context(self, obj: Any, form: NoteForm | None = None) -> dict[str, Any]:
        request = self.request  # type: ignore[attr-defined]
        try:
            number = int(request.GET.get("page", 1))
        except ValueError:
            number = 1
        page = paginate(self.timeline_queryset(obj), number, TIMELINE_PAGE, cap=TIMELINE_PAGE)
        contacts = self.timeline_contacts(obj)
        records = Note.records_of(page.rows, exclude=obj)
        entries = [(n, records.get((n.content_type_id, n.object_id))) for n in page.rows]
        can_log = request.user.has_action("note", Action.CREATE)
        if form is None and can_log:
            form = NoteForm(contacts=contacts)
        return {
            "entries": entries,
            "timeline_page": page,
            "note_form": form if can_log else None,
            "timeline_url": self.timeline_url(obj),
            "more_url": f"?tab=timeline&page={page.next_number}" if page.has_next else None,
        }


class AccountDetailView(TimelineTabMixin, ObjectDetailView):
    services = ACCOUNT_SERVICES
    template_name = "customers/account_detail.html"
    tabs = (
        Tab("overview", gettext_lazy("Overview"), "customers/tabs/account_overview.html"),
        Tab("contacts", gettext_lazy("Contacts"), "customers/tabs/account_contacts.html"),
        Tab("timeline", gettext_lazy("Timeline"), "customers/tabs/timeline.html"),
        HISTORY_TAB,
        SHARING_TAB,
    )
    select_related = ("owner", "team", "parent", "created_by", "updated_by")
    prefetch_related = ("tags",)
    edit_url_name = "customers:account-edit"
    delete_url_name = "customers:account-delete"
    list_url_name = "customers:account-list"

    overview_fields = [
        "kind",
        "industry",
        "source_class",
        "region_class",
        "settlement",
        "receivables_class",
        "profitability",
        "profit_contribution",
        "rating",
        "tax_number",
        "phone",
        "email",
        "website",
        "parent",
        "owner",
        "team",
    ]

    def get_extra_context(self, obj: Account) -> dict[str, Any]:
        user = self.request.user
        can_merge = self.can_edit(obj) and user.has_action("account", Action.DELETE)
        return {
            "merge_url": f"{reverse('customers:account-merge')}?survivor={obj.pk}"
            if can_merge
            else None,
            "duplicates_url": reverse("customers:account-duplicates", args=[obj.pk]),
        }

    def tab_overview_context(self, obj: Account) -> dict[str, Any]:
        user = self.request.user
        address = " ".join(
            part
            for part in [obj.province, obj.city, obj.district, obj.street, obj.postal_code]
            if part
        )
        subsidiaries = list(
            Account.objects.visible_to(user).filter(parent=obj).order_by("name", "pk")[:50]
        )
        transitions = list(obj.transitions.select_related("actor").order_by("-at", "-id")[:50])
        move_form = None
        if self.can_edit(obj) and ALLOWED_TRANSITIONS.get(obj.relationship_class):
            move_form = MoveClassForm(account=obj)
        return {
            "fields": _field_rows(obj, self.overview_fields),
            "address": address,
            "country": obj.country,
            "subsidiaries": subsidiaries,
            "transitions": transitions,
            "move_form": move_form,
            "move_url": reverse("customers:account-move", args=[obj.pk]),
        }

    def tab_contacts_context(self, obj: Account) -> dict[str, Any]:
        contacts = (
            Contact.objects.visible_to(self.request.user)
            .filter(account=obj)
            .select_related("owner")
            .order_by("name", "pk")
        )
        page = paginate(contacts, 1, 200)
        can_add = self.request.user.has_action("contact", Action.CREATE)
        return {
            "contacts": page.rows,
            "contacts_page": page,
            "add_contact_url": f"{reverse('customers:contact-create')}?account={obj.pk}"
            if can_add
            else None,
            "all_contacts_url": f"{reverse('customers:contact-list')}?account={obj.pk}",
        }

    def timeline_queryset(self, obj: Account) -> Any:
        return selectors.account_timeline(self.request.user, obj)

    def timeline_contacts(self, obj: Account) -> list[Contact]:
        return list(
            Contact.objects.visible_to(self.request.user)
            .filter(account=obj)
            .order_by("name", "pk")
            .only("pk", "name")[:200]
        )

    def timeline_url(self, obj: Account) -> str:
        return reverse("customers:account-timeline", args=[obj.pk])


class ContactDetailView(TimelineTabMixin, ObjectDetailView):
    services = CONTACT_SERVICES
    template_name = "customers/contact_detail.html"
    tabs = (
        Tab("overview", gettext_lazy("Overview"), "customers/tabs/contact_overview.html"),
        Tab("timeline", gettext_lazy("Timeline"), "customers/tabs/timeline.html"),
        HISTORY_TAB,
        SHARING_TAB,
    )
    select_related = ("owner", "team", "account", "created_by", "updated_by")
    prefetch_related = ("tags",)
    edit_url_name = "customers:contact-edit"
    delete_url_name = "customers:contact-delete"
    list_url_name = "customers:contact-list"

    overview_fields = [
        "account",
        "title",
        "department",
        "buying_role",
        "mobile",
        "phone",
        "email",
        "wechat_id",
        "birthday",
        "preferred_channel",
        "owner",
        "team",
    ]

    def tab_overview_context(self, obj: Contact, form: ConsentForm | None = None) -> dict[str, Any]:
        consent = [
            (
                channel,
                Contact._meta.get_field(f"consent_{channel}").verbose_name,
                getattr(obj, f"get_consent_{channel}_display")(),
                getattr(obj, f"consent_{channel}"),
            )
            for channel in CONSENT_CHANNELS
        ]
        can_edit = self.can_edit(obj)
        return {
            "fields": _field_rows(obj, self.overview_fields),
            "consent": consent,
            "consent_history": list(obj.consents.select_related("recorded_by")[:100]),
            "consent_form": (form or ConsentForm()) if can_edit else None,
            "consent_url": reverse("customers:contact-consent", args=[obj.pk]),
        }

    def timeline_queryset(self, obj: Contact) -> Any:
        return selectors.contact_timeline(self.request.user, obj)

    def timeline_url(self, obj: Contact) -> str:
        return reverse("customers:contact-timeline", args=[obj.pk])


# --------------------------------------------------------------------------------------------
# actions from the detail pages
# --------------------------------------------------------------------------------------------


class TimelineAddView(LoginRequiredMixin, View):
    """Log a note or interaction on the record (or, from an account, on one of its contacts)."""

    detail_view: type[AccountDetailView] | type[ContactDetailView]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        detail = self.detail_view()
        detail.setup(request, pk=pk)
        obj = detail.get_object(pk)
        contacts = detail.timeline_contacts(obj)
        form = NoteForm(request.POST, contacts=contacts)
        if form.is_valid():
            target: Any = obj
            about = form.cleaned_data.get("about")
            if about:
                target = next((c for c in contacts if c.pk == about), None)
                if target is None:
                    raise Http404(_("No such record."))
                target = Contact.objects.visible_to(request.user).get(pk=target.pk)
            try:
                core.add_note(request.user, target, form.note_data())
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                if not is_htmx(request):
                    messages.success(request, _("Logged on the timeline."))
                    return HttpResponseRedirect(f"{obj.get_absolute_url()}?tab=timeline")
                form = None
        tab = next(t for t in detail.tabs if t.name == "timeline")
        context = detail.get_context_data(obj, tab, detail.visible_tabs(obj))
        context.update(detail.tab_timeline_context(obj, form=form))
        if not is_htmx(request):
            return render(request, detail.template_name, context)
        return render(request, tab.template, context)


class AccountTimelineView(TimelineAddView):
    detail_view = AccountDetailView


class ContactTimelineView(TimelineAddView):
    detail_view = ContactDetailView


class AccountMoveView(LoginRequiredMixin, View):
    """Move an account to one of the relationship classes the flow model allows next."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = core.get_visible(request.user, Account, pk)
        core.require_editable(request.user, account)
        form = MoveClassForm(request.POST, account=account)
        target = f"{account.get_absolute_url()}?tab=overview"
        if not form.is_valid():
            allowed = ", ".join(
                str(label) for value, label in form.fields["to_class"].choices if value
            )
            messages.error(
                request,
                _("This move is not allowed. From %(current)s an account can move to: %(allowed)s.")
                % {"current": account.get_relationship_class_display(), "allowed": allowed or "—"},
            )
            return HttpResponseRedirect(target)
        try:
            services.change_relationship_class(
                request.user,
                account,
                form.cleaned_data["to_class"],
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except StaleVersion:
            messages.error(
                request,
                _("Someone else changed this account meanwhile; look at it again and retry."),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Moved to %(class)s.")
                % {"class": RelationshipClass(form.cleaned_data["to_class"]).label},
            )
        return HttpResponseRedirect(target)


class ContactConsentView(LoginRequiredMixin, View):
    """Record a grant or withdrawal of consent on one channel (when, how, by whom)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = core.get_visible(request.user, Contact, pk)
        form = ConsentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_consent(
                    request.user,
                    contact,
                    data["channel"],
                    data["status"],
                    data["method"],
                    note=data["note"],
                    at=data["at"],
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            else:
                messages.success(request, _("Consent recorded."))
                return HttpResponseRedirect(f"{contact.get_absolute_url()}?tab=overview")
        detail = ContactDetailView()
        detail.setup(request, pk=pk)
        contact = detail.get_object(pk)
        tab = detail.tabs[0]
        context = detail.get_context_data(contact, tab, detail.visible_tabs(contact))
        context.update(detail.tab_overview_context(contact, form=form))
        return render(request, detail.template_name, context)


class AccountDuplicatesView(LoginRequiredMixin, View):
    """Accounts that look like this one (same identifiers or a near-same name)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = core.get_visible(request.user, Account, pk)
        duplicates = selectors.find_duplicate_accounts(request.user, account)
        can_merge = request.user.has_action("account", Action.DELETE) and account.can_edit(
            request.user
        )
        context = {
            "object": account,
            "duplicates": duplicates,
            "merge_url": reverse("customers:account-merge") if can_merge else None,
        }
        template = (
            "customers/includes/duplicates.html"
            if is_htmx(request)
            else "customers/account_duplicates.html"
        )
        return render(request, template, context)


class AccountAutocompleteView(LoginRequiredMixin, View):
    """Accounts the user can see matching ``q`` (the global search), for record pickers."""

    limit = 10

    def get(self, request: HttpRequest) -> HttpResponse:
        q = request.GET.get("q", "")
        if not q:
            q = next((v for k, v in request.GET.items() if k.endswith("__search")), "")
        q = q.strip()
        hits = []
        if q:
            queryset = search_filter(Account.objects.visible_to(request.user), q)
            exclude = request.GET.get("exclude", "")
            if exclude.isdigit():
                queryset = queryset.exclude(pk=int(exclude))
            for account in queryset.order_by("-search_rank", "pk")[: self.limit]:
                hits.append(
                    {
                        "pk": account.pk,
                        "label": account.name,
                        "subtitle": " · ".join(
                            filter(None, [account.city, account.phone, account.tax_number])
                        ),
                    }
                )
        return render(request, "generic/widgets/autocomplete_results.html", {"hits": hits, "q": q})


# --------------------------------------------------------------------------------------------
# create, edit, delete
# --------------------------------------------------------------------------------------------


class AccountEditView(ObjectEditView):
    services = ACCOUNT_SERVICES
    form_class = AccountForm
    list_url_name = "customers:account-list"


class ContactEditView(ObjectEditView):
    services = CONTACT_SERVICES
    form_class = ContactForm
    list_url_name = "customers:contact-list"

    def get_initial(self) -> dict[str, Any]:
        raw = self.request.GET.get("account", "")
        if raw.isdigit():
            account = Account.objects.visible_to(self.request.user).filter(pk=raw).first()
            if account is not None:
                return {"account": account.pk}
        return {}

    def success_url(self, obj: Contact) -> str:
        return obj.get_absolute_url()


class AccountDeleteView(ObjectDeleteView):
    services = ACCOUNT_SERVICES
    list_url_name = "customers:account-list"

    def related_summary(self, obj: Account) -> list[tuple[Any, int]]:
        note_type = ContentType.objects.get_for_model(Account)
        return [
            (_("contacts"), Contact.objects.filter(account=obj).count()),
            (
                _("timeline entries"),
                Note.objects.filter(content_type=note_type, object_id=obj.pk).count(),
            ),
        ]


class ContactDeleteView(ObjectDeleteView):
    services = CONTACT_SERVICES
    list_url_name = "customers:contact-list"


# --------------------------------------------------------------------------------------------
# merge duplicates
# --------------------------------------------------------------------------------------------


class AccountMergeView(LoginRequiredMixin, View):
    """Pick two accounts, choose the surviving value of each field, merge.

    The duplicate's contacts and timeline move to the survivor; the duplicate goes to the
    recycle bin, and restoring it from there undoes the merge.
    """

    template_name = "customers/account_merge.html"

    def get_account(self, raw: str | None) -> Account | None:
        if not raw or not str(raw).isdigit():
            return None
        user = self.request.user
        account = core.get_visible(user, Account, raw)
        core.require_editable(user, account)
        return account

    def check_rights(self) -> None:
        core.require_action(self.request.user, "account", Action.DELETE)

    def get(self, request: HttpRequest) -> HttpResponse:
        self.check_rights()
        survivor = self.get_account(request.GET.get("survivor"))
        duplicate = self.get_account(request.GET.get("duplicate"))
        if survivor is not None and duplicate is not None and survivor.pk == duplicate.pk:
            messages.error(request, _("Choose two different accounts."))
            duplicate = None
        return render(request, self.template_name, self.context(survivor, duplicate))

    def context(self, survivor: Account | None, duplicate: Account | None) -> dict[str, Any]:
        url = reverse("customers:account-autocomplete")
        exclude = f"{url}?exclude={survivor.pk}" if survivor is not None else url
        context: dict[str, Any] = {
            "survivor": survivor,
            "duplicate": duplicate,
            "survivor_picker": RecordAutocompleteWidget(url).render(
                "survivor", None, attrs={"id": "merge-survivor"}
            ),
            "duplicate_picker": RecordAutocompleteWidget(exclude).render(
                "duplicate", None, attrs={"id": "merge-duplicate"}
            ),
            "title": _("Merge duplicate accounts"),
        }
        if survivor is not None and duplicate is None:
            context["suggestions"] = selectors.find_duplicate_accounts(
                self.request.user, survivor, limit=10
            )
        if survivor is None or duplicate is None:
            return context
        names = list(services.MERGEABLE_FIELDS)
        left = record_field_values(survivor, names)
        right = record_field_values(duplicate, names)
        rows = []
        for name in names:
            same = left[name] == right[name]
            rows.append(
                {
                    "name": name,
                    "label": Account._meta.get_field(name).verbose_name,
                    "survivor": display_value(Account, name, left[name]),
                    "duplicate": display_value(Account, name, right[name]),
                    "same": same,
                    # a blank on the survivor is filled from the duplicate by default
                    "pick": "duplicate"
                    if not same and left[name] in (None, "") and right[name] not in (None, "")
                    else "survivor",
                }
            )
        note_type = ContentType.objects.get_for_model(Account)
        context.update(
            rows=rows,
            moving_contacts=Contact.objects.filter(account=duplicate).count(),
            moving_notes=Note.objects.filter(
                content_type=note_type, object_id=duplicate.pk
            ).count(),
            moving_tags=[t for t in duplicate.tags.all() if t not in set(survivor.tags.all())],
            swap_url=f"?survivor={duplicate.pk}&duplicate={survivor.pk}",
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        self.check_rights()
        survivor = self.get_account(request.POST.get("survivor"))
        duplicate = self.get_account(request.POST.get("duplicate"))
        if survivor is None or duplicate is None:
            raise Http404(_("No such record."))
        versions = {}
        for obj, key in ((survivor, "survivor_version"), (duplicate, "duplicate_version")):
            raw = request.POST.get(key, "")
            versions[obj.pk] = int(raw) if raw.isdigit() else obj.version
        chosen = [
            name
            for name in services.MERGEABLE_FIELDS
            if request.POST.get(f"pick_{name}") == "duplicate"
        ]
        back = f"{request.path}?survivor={survivor.pk}&duplicate={duplicate.pk}"
        try:
            merged = services.merge_accounts(
                request.user,
                survivor,
                duplicate,
                values_from_duplicate=chosen,
                expected_versions=versions,
            )
        except StaleVersion:
            messages.error(
                request,
                _("One of the accounts was changed meanwhile; check the values again."),
            )
            return HttpResponseRedirect(back)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
            return HttpResponseRedirect(back)
        bin_url = reverse_or_none("recycle-bin")
        text = _(
            "Merged “%(duplicate)s” into “%(survivor)s”. To undo, restore “%(duplicate)s” "
            "from the recycle bin."
        ) % {"duplicate": duplicate.name, "survivor": merged.name}
        if bin_url:
            text = format_html('{} <a href="{}">{}</a>', text, bin_url, _("Open the recycle bin"))
        messages.success(request, text)
        return HttpResponseRedirect(merged.get_absolute_url())


# --------------------------------------------------------------------------------------------
# customer flow report
# --------------------------------------------------------------------------------------------


class FlowReportView(LoginRequiredMixin, View):
    """How accounts moved between relationship classes over a period (客户流转)."""

    template_name = "customers/flow_report.html"
    default_days = 90

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        default = {"start": today - dt.timedelta(days=self.default_days), "end": today}
        form = FlowPeriodForm(request.GET if "start" in request.GET else None, initial=default)
        period = default
        if form.is_bound and form.is_valid():
            period = {"start": form.cleaned_data["start"], "end": form.cleaned_data["end"]}
        counts = selectors.flow_counts(request.user, period["start"], period["end"])
        start_at, end_at = selectors.period_bounds(period["start"], period["end"])
        labels = dict(RelationshipClass.choices)
        labels[selectors.NEW] = _("New account")
        sankey = counts.sankey()
        context = {
            "form": form,
            "counts": counts,
            "period": period,
            "class_labels": [(c, labels[c]) for c in counts.classes],
            "rows": [
                (labels[source], source, cells, total) for source, cells, total in counts.rows()
            ],
            "column_totals": counts.column_totals(),
            "class_counts": [
                (
                    labels[c],
                    counts.at_start[c],
                    counts.at_end[c],
                    counts.at_end[c] - counts.at_start[c],
                )
                for c in counts.classes
            ],
            "chart": {
                "nodes": sankey["nodes"],
                "links": sankey["links"],
                "title": str(_("Customer flow")),
                "empty": str(_("No moves between classes in this period.")),
            },
            "recent": list(
                ClassTransition.objects.filter(
                    account__in=Account.objects.visible_to(request.user).values("pk")
                )
                .filter(at__gte=start_at, at__lt=end_at)
                .select_related("account", "actor")
                .order_by("-at", "-id")[:20]
            ),
        }
        return render(request, self.template_name, context)
