from django.apps import AppConfig


class AuditregConfig(AppConfig):
    name = "auditreg"
    verbose_name = "auditreg 共通"

    def ready(self):
        from . import middleware  # noqa: F401 - connects the login signal
