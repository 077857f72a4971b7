from django.urls import path

from . import views

app_name = "findings"

urlpatterns = [
    path("", views.finding_list_view, name="finding_list"),
    path("export.csv", views.finding_export_csv, name="finding_export_csv"),
    path("<int:pk>/", views.finding_detail_view, name="finding_detail"),
]
