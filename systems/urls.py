from django.urls import path

from . import views

app_name = "systems"

urlpatterns = [
    path("", views.system_list_view, name="system_list"),
    path("export.csv", views.system_export_csv, name="system_export_csv"),
    path("<int:pk>/", views.system_detail_view, name="system_detail"),
]
