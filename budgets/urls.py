from django.urls import path

from . import views

app_name = "budgets"

urlpatterns = [
    path("", views.budget_tree_view, name="budget_tree"),
    path("export.csv", views.budget_export_csv, name="budget_export_csv"),
    path("projects/", views.project_list_view, name="project_list"),
    path("projects/export.csv", views.project_export_csv, name="project_export_csv"),
    path("projects/<int:pk>/", views.project_detail_view, name="project_detail"),
]
