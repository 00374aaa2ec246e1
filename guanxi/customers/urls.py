from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("accounts/<int:pk>/", views.placeholder, name="account-detail"),
    path("contacts/<int:pk>/", views.placeholder, name="contact-detail"),
]
