from django.urls import path

from .views import activities, calendar, notifications, telesales

app_name = "activities"
urlpatterns = [
    path("", activities.ActivityListView.as_view(), name="activity-list"),
    path("new/", activities.ActivityEditView.as_view(), name="activity-create"),
    path("<int:pk>/", activities.ActivityDetailView.as_view(), name="activity-detail"),
    path("<int:pk>/edit/", activities.ActivityEditView.as_view(), name="activity-edit"),
    path("<int:pk>/delete/", activities.ActivityDeleteView.as_view(), name="activity-delete"),
    path("<int:pk>/complete/", activities.ActivityCompleteView.as_view(), name="activity-complete"),
    path("<int:pk>/cancel/", activities.ActivityCancelView.as_view(), name="activity-cancel"),
    path(
        "related-autocomplete/",
        activities.RelatedAutocompleteView.as_view(),
        name="related-autocomplete",
    ),
    path(
        "on/<str:object_type>/<int:pk>/",
        activities.RecordActivitiesView.as_view(),
        name="record-activities",
    ),
    # calendar and its feed
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/feed/", calendar.calendar_feed_regenerate, name="calendar-feed"),
    path("ical/<str:token>.ics", calendar.ical_feed, name="ical"),
    # notifications
    path("notifications/", notifications.notifications_page, name="notifications"),
    path("notifications/menu/", notifications.notifications_menu, name="notifications-menu"),
    path("notifications/read/", notifications.notifications_read, name="notifications-read"),
    path(
        "notifications/<int:pk>/open/",
        notifications.notification_open,
        name="notification-open",
    ),
    # telesales
    path("call-lists/", telesales.CallListListView.as_view(), name="calllist-list"),
    path("call-lists/new/", telesales.CallListEditView.as_view(), name="calllist-create"),
    path("call-lists/<int:pk>/", telesales.CallListDetailView.as_view(), name="calllist-detail"),
    path("call-lists/<int:pk>/edit/", telesales.CallListEditView.as_view(), name="calllist-edit"),
    path(
        "call-lists/<int:pk>/delete/",
        telesales.CallListDeleteView.as_view(),
        name="calllist-delete",
    ),
    path("call-lists/<int:pk>/call/", telesales.call_next, name="calllist-call"),
    path(
        "call-lists/<int:pk>/entries/<int:entry_pk>/",
        telesales.CallScreenView.as_view(),
        name="call-screen",
    ),
    path("call-outcomes/", telesales.outcome_list, name="outcome-list"),
    path("call-outcomes/new/", telesales.outcome_edit, name="outcome-create"),
    path("call-outcomes/<int:pk>/", telesales.outcome_edit, name="outcome-edit"),
    path("call-outcomes/<int:pk>/delete/", telesales.outcome_delete, name="outcome-delete"),
    path("reports/calls/", telesales.call_report, name="call-report"),
]
