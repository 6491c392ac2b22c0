"""The monitoring pages: the alerts inbox and the needs matrix (under /monitoring/)."""

from django.urls import path

from rasad.platform.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("alerts/", views.alerts, name="alerts"),
    path("needs/", views.needs, name="needs"),
    path("needs/export.xlsx", views.needs_excel, name="needs_excel"),
]
