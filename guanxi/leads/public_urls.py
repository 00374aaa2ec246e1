"""The public web form, mounted at a short path (``/f/<token>/``) outside the logged-in app."""

from django.urls import path

from . import webforms

app_name = "webforms"
urlpatterns = [path("<str:token>/", webforms.submit, name="submit")]
