"""Routes of the inquiry rounds (照会); included in imports/urls.py under the "imports" namespace."""

from django.urls import path

from . import inquiry_views as views

urlpatterns = [
    path("inquiries/", views.round_list_view, name="round_list"),
    path("inquiries/new/", views.round_create_view, name="round_create"),
    path("inquiries/<int:pk>/", views.round_detail_view, name="round_detail"),
    path("inquiries/<int:pk>/workbook.xlsx", views.round_workbook_view, name="round_workbook"),
    path("inquiries/<int:pk>/upload/", views.round_upload_view, name="round_upload"),
    path("inquiries/<int:pk>/close/", views.round_close_view, name="round_close"),
]
