from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from auditreg import views
from auditreg.forms import LoginForm
from findings.public_views import publication_file_view

urlpatterns = [
    path("", views.home_view, name="home"),
    path("favicon.ico", views.favicon_view, name="favicon"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("findings/", include("findings.urls")),
    path("systems/", include("systems.urls")),
    path("budgets/", include("budgets.urls")),
    path("imports/", include("imports.urls")),
    path("jobs/", include("jobs.urls")),
    path("publications/<int:number>/", publication_file_view, name="publication_detail"),
    path("publications/<int:number>/<str:fmt>/", publication_file_view, name="publication_file"),
    path("accounts/", include("auditreg.urls_accounts")),
    path("admin/", admin.site.urls),
]
