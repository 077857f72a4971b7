from django.urls import path

from . import views

urlpatterns = [
    path("review/", views.account_review_view, name="account_review"),
    path("session/extend/", views.session_extend_view, name="session_extend"),
    path("deputies/", views.deputies_view, name="deputies"),
    path("password/", views.OwnPasswordChangeView.as_view(), name="password_change"),
]
