from django.urls import path

from . import inquiry_urls, views

app_name = "imports"

urlpatterns = [
    path("", views.import_list_view, name="import_list"),
    path("new/", views.import_upload_view, name="import_upload"),
    path("template.xlsx", views.template_view, name="template"),
    path("bundle.zip", views.bundle_zip_view, name="bundle_zip"),
    path("<int:pk>/", views.batch_detail_view, name="batch_detail"),
    path("<int:pk>/confirm/", views.batch_confirm_view, name="batch_confirm"),
    path("<int:pk>/discard/", views.batch_discard_view, name="batch_discard"),
    *inquiry_urls.urlpatterns,
]
