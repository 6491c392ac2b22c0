"""The published rankings, the scorecards and the dashboards, at the site root."""

from django.urls import path

from rasad.platform.public import views

app_name = "public"

urlpatterns = [
    path("top100/", views.top100, name="top100"),
    path("editions/", views.editions, name="editions"),
    path("editions/<int:pk>/", views.top100, name="edition"),
    path("editions/<int:pk>/league/", views.league, name="league"),
    path("editions/<int:pk>/data/<str:name>", views.data_download, name="data"),
    path("editions/<int:pk>/methodology/", views.methodology, name="methodology"),
    path("editions/<int:pk>/methodology.yaml", views.methodology_file, name="methodology_file"),
    path("enterprises/", views.my_enterprise, name="my_enterprise"),
    path("enterprises/<str:national_id>/", views.scorecard, name="scorecard"),
    path("estates/", views.estates, name="estates"),
    path("estates/export.xlsx", views.estates_excel, name="estates_excel"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
