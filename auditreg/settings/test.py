"""Test settings: fast hashing, in-memory mail; the database comes from DATABASE_URL."""

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "evidence": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "publications": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# jobs run inside the request that starts them (the browser journeys use the database backend and a worker)
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# the city's settings are read once per test (tests/conftest.py forgets them before each), never again
# by the clock: a query count must not depend on how slow the machine is
CITY_SETTINGS_TTL_SECONDS = 10**9
