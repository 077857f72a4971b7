from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "findings"
    verbose_name = "指摘・意見"

    def ready(self):
        from auditreg.change_labels import register_value_labels

        from .choices import ReportState  # loaded with the app registry, as every ready() import

        register_value_labels("state", ReportState.choices)
