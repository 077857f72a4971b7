import os

from django.core.wsgi import get_wsgi_application

from auditreg.runtime import tune_gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditreg.settings.production")
application = get_wsgi_application()
tune_gc()  # see auditreg/runtime.py: the garbage collector, not SQL, set the p95 at scale
