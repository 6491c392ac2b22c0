from django.urls import path

from rasad.platform.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/<slug:kind>/<str:key>.pdf", views.pdf, name="pdf"),
    path("reports/<slug:kind>/<str:key>/", views.status, name="status"),
]
