"""The analyst's pages (issue 6 item 5), under /analysis/."""

from django.urls import path

from rasad.platform.rankings import views

app_name = "rankings"

urlpatterns = [
    path("editions/", views.edition_list, name="edition_list"),
    path("editions/new/", views.edition_create, name="edition_create"),
    path("editions/<int:pk>/", views.edition_review, name="edition_review"),
    path("editions/<int:pk>/run/", views.edition_run, name="edition_run"),
    path("editions/<int:pk>/publish/", views.edition_publish, name="edition_publish"),
    path("jobs/<int:pk>/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/status.json", views.job_status, name="job_status"),
]
