from django.apps import AppConfig


class AuditregConfig(AppConfig):
    name = "auditreg"
    verbose_name = "auditreg 共通"
