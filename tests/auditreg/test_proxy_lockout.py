"""Lockout behind the TLS proxy: the client address comes from the proxy's X-Forwarded-For entry only
(django-ipware, for the configured proxy count); what a client writes into that header is ignored.
The same is checked through a real nginx by deploy/smoke.sh."""

import pytest
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.urls import reverse

from auditreg.choices import Role
from auditreg.settings.base import client_address_settings

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
NGINX = "127.0.0.1"  # the proxy: every request reaches gunicorn from its address


def address(proxies, remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {})
    with override_settings(**client_address_settings(proxies)):
        return get_client_ip_address(RequestFactory().get("/", **meta))


def test_ipware_is_installed_so_the_proxy_count_is_used():
    import axes.helpers

    assert axes.helpers.IPWARE_INSTALLED


def test_behind_one_proxy_the_address_it_appended_is_the_client():
    assert address(1, NGINX, "10.20.0.5") == "10.20.0.5"


def test_a_spoofed_header_is_ignored_behind_the_proxy():
    # the client sent "X-Forwarded-For: 10.20.0.99"; nginx appended the address it really saw
    assert address(1, NGINX, "10.20.0.99, 10.20.0.5") == "10.20.0.5"
    assert address(1, NGINX, "garbage, 1.2.3.4, 10.20.0.5") == "10.20.0.5"


def test_two_proxies_count_from_the_right():
    # load balancer then nginx: the balancer appended the client, nginx appended the balancer
    assert address(2, NGINX, "10.20.0.99, 10.20.0.5, 10.30.0.1") == "10.20.0.5"


def test_without_a_proxy_the_header_is_never_read():
    assert address(0, "10.20.0.7", "10.20.0.99") == "10.20.0.7"
    assert settings.TRUSTED_PROXY_COUNT == 0  # the default: tests and development have no proxy


def login(client, username, password, forwarded):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_five_bad_passwords_from_one_client_do_not_lock_another(client, make_user):
    make_user("victim", Role.AUDITOR)
    make_user("other", Role.AUDITOR)
    with override_settings(**client_address_settings(1)):
        for i in range(settings.AXES_FAILURE_LIMIT):
            login(client, f"guess{i}", "wrong", forwarded="10.20.0.66")
        # the attacker is locked out, even when it claims another address in the header
        assert login(client, "victim", PASSWORD, forwarded="10.20.0.66").status_code == 429
        assert login(client, "victim", PASSWORD, forwarded="10.20.0.5, 10.20.0.66").status_code == 429
        # another client behind the same proxy signs in
        assert login(client, "other", PASSWORD, forwarded="10.20.0.5").status_code == 302
