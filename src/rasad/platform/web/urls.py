"""Data-entry pages: the upload page (dry run, report, commit) and the return forms."""

from django.urls import path, re_path

from rasad.platform.web import import_views, return_views

SHA256 = r"(?P<sha>[0-9a-f]{64})"

urlpatterns = [
    path("import/", import_views.upload, name="import_upload"),
    path("import/template.<str:fmt>", import_views.template, name="import_template"),
    re_path(rf"^import/{SHA256}/$", import_views.report, name="import_report"),
    re_path(
        rf"^import/{SHA256}/report\.xlsx$", import_views.report_excel, name="import_report_excel"
    ),
    re_path(rf"^import/{SHA256}/commit/$", import_views.commit, name="import_commit"),
    re_path(rf"^import/{SHA256}/check/$", import_views.check_again, name="import_check_again"),
    path("returns/", return_views.return_list, name="return_list"),
    path("returns/<str:national_id>/<str:period>/", return_views.return_form, name="return_form"),
]
