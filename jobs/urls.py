from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("<int:pk>/", views.job_detail_view, name="job_detail"),
    path("<int:pk>/status.json", views.job_status_view, name="job_status"),
    path("<int:pk>/download/", views.job_download_view, name="job_download"),
    path("<int:pk>/retry/", views.job_retry_view, name="job_retry"),
]
