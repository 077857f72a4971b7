from django.urls import path

from . import views

app_name = "findings"

urlpatterns = [
    path("", views.finding_list_view, name="finding_list"),
    path("export.csv", views.finding_export_csv, name="finding_export_csv"),
    path("<int:pk>/", views.finding_detail_view, name="finding_detail"),
    path("reports/", views.report_list_view, name="report_list"),
    path("reports/<str:code>/", views.report_detail_view, name="report_detail"),
]
