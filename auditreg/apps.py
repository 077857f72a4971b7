from django.apps import AppConfig


class AuditregConfig(AppConfig):
    name = "auditreg"
    verbose_name = "auditreg 共通"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from . import (
            middleware,  # noqa: F401 - connects the login signal
            wareki,
        )
        from .models import CitySettings  # models load only once the app registry is ready

        # each app's access.py registers its actions in auditreg.access.RULES (as admin.py does its models)
        autodiscover_modules("access")
        wareki.use_fy2019_setting(lambda: CitySettings.current().fy2019_label)
