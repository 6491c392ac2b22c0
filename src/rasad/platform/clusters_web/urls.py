"""The cluster pages (issue 8, item 5), under /clusters/: public aggregates."""

from django.urls import path

from rasad.platform.clusters_web import views

app_name = "clusters"

urlpatterns = [
    path("", views.cluster_list, name="list"),
    path("provinces/<int:code>/", views.province, name="province"),
    path("data/<str:name>", views.clusters_download, name="data"),
    path("<str:code>/", views.cluster, name="cluster"),
]
