"""Login throttling and lockout (issue 16): the login form through django-axes, the API's
bearer tokens through axes' handler API, both keyed on the caller's address as
``rasad.platform.accounts.throttle.client_ip`` finds it."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.test import Client, RequestFactory

from rasad.platform.accounts.models import Role
from rasad.platform.accounts.throttle import TOKEN_ACCOUNT, client_ip
from rasad.platform.api.models import ApiToken

PASSWORD = "a long enough password 9"
HOME, AWAY = "192.0.2.10", "198.51.100.7"  # documentation addresses: nothing is sent anywhere


@pytest.fixture
def people(db, settings, django_user_model):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return {
        name: django_user_model.objects.create_user(name, password=PASSWORD, role=Role.ANALYST)
        for name in ("alice", "bob")
    }


def _login(client, username, password, address=HOME, path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def _lock(client, username="alice", address=HOME):
    for n in range(1, django_settings.AXES_FAILURE_LIMIT + 1):
        response = _login(client, username, "wrong", address)
        assert response.status_code == (429 if n == django_settings.AXES_FAILURE_LIMIT else 200), n
    return response


def _signed_in(client) -> bool:
    return SESSION_KEY in client.session


def _cool_off_passes(minutes: float):
    """Move every recorded failure ``minutes`` into the past, as if that time had gone by."""
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - datetime.timedelta(minutes=minutes)
    )


def test_the_limit_and_cool_off_are_those_asked_for():
    assert django_settings.AXES_ENABLED
    assert django_settings.AXES_FAILURE_LIMIT == 20
    assert django_settings.AXES_COOLOFF_TIME * 60 == pytest.approx(15)
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_twenty_wrong_passwords_hold_back_the_right_one(people):
    client = Client()
    client.cookies["django_language"] = "en"
    for _ in range(19):
        page = _login(client, "alice", "wrong")
        assert page.status_code == 200 and "errorlist" in page.content.decode()
    assert _login(client, "alice", PASSWORD).status_code == 302  # the 19 failures did not lock
    client.logout()  # which forgets the language cookie too
    client.cookies["django_language"] = "en"
    AccessAttempt.objects.all().delete()
    _lock(client)
    refused = _login(client, "alice", PASSWORD)
    body = refused.content.decode()
    assert refused.status_code == 429 and not _signed_in(client)
    assert 'id="error-page" data-status="429"' in body and '<html lang="en" dir="ltr">' in body
    assert "Too many failed logins" in body and "paused for 15 minutes" in body
    assert "The right password is not accepted either" in body
    assert refused["Retry-After"] == "900"


def test_the_lockout_page_is_in_persian_by_default(people):
    client = Client()
    _lock(client)
    refused = _login(client, "alice", PASSWORD)
    body = refused.content.decode()
    assert refused.status_code == 429 and '<html lang="fa" dir="rtl">' in body
    assert "۴۲۹" in body and 'id="error-heading"' in body


def test_the_admin_login_is_held_back_too(people):
    people["alice"].is_staff = True
    people["alice"].save()
    client = Client()
    _lock(client)
    assert _login(client, "alice", PASSWORD, path="/admin/login/?next=/admin/").status_code == 429
    assert not _signed_in(client)


def test_other_accounts_and_addresses_are_unaffected(people):
    _lock(Client())
    assert _login(other := Client(), "bob", PASSWORD).status_code == 302 and _signed_in(other)
    assert _login(away := Client(), "alice", PASSWORD, AWAY).status_code == 302 and _signed_in(away)
    assert _login(Client(), "alice", PASSWORD).status_code == 429  # still held back at home


def test_after_the_cool_off_the_right_password_works(people):
    client = Client()
    _lock(client)
    _cool_off_passes(14)
    assert _login(client, "alice", PASSWORD).status_code == 429
    _cool_off_passes(2)
    assert _login(client, "alice", PASSWORD).status_code == 302 and _signed_in(client)


def test_tries_during_the_cool_off_do_not_prolong_it(people):
    client = Client()
    _lock(client)
    for minutes in (5, 5, 4):  # 14 minutes after the last counted failure
        _cool_off_passes(minutes)
        assert _login(client, "alice", PASSWORD).status_code == 429
        assert _login(client, "alice", "wrong").status_code == 429
    _cool_off_passes(2)  # 16 minutes after it, whatever was tried meanwhile
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_the_cool_off_comes_from_the_setting(people, settings):
    settings.AXES_COOLOFF_TIME = 0.5  # hours, as RASAD_LOGIN_COOLOFF_MINUTES=30 gives
    client = Client()
    client.cookies["django_language"] = "en"
    assert "paused for 30 minutes" in _lock(client).content.decode()
    _cool_off_passes(16)
    assert _login(client, "alice", PASSWORD).status_code == 429
    _cool_off_passes(15)
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_a_success_clears_the_failures(people):
    client = Client()
    for _ in range(19):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(19):
        assert _login(client, "alice", "wrong").status_code == 200
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_force_login_of_tests_is_unaffected(people):
    _lock(Client())
    client = Client()
    client.force_login(people["alice"])
    assert "alice" in client.get("/").content.decode()


# --- the address --------------------------------------------------------------------------


def _request(remote="203.0.113.5", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_the_address_is_remote_addr_unless_proxies_are_declared(settings):
    assert settings.RASAD_PROXY_COUNT == 0
    assert client_ip(_request(forwarded="192.0.2.1")) == "203.0.113.5"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "6.6.6.6, 192.0.2.1", "192.0.2.1"),  # what the client wrote itself is ignored
        (2, "6.6.6.6, 192.0.2.1, 10.1.1.1", "192.0.2.1"),  # the load balancer appended the client
        (1, " 2001:db8::1 ", "2001:db8::1"),
        (2, "192.0.2.1", "203.0.113.5"),  # did not pass both proxies
        (1, "", "203.0.113.5"),
        (1, "not-an-address", "203.0.113.5"),
    ],
)
def test_behind_declared_proxies_the_address_is_the_one_they_appended(
    settings, proxies, forwarded, expected
):
    settings.RASAD_PROXY_COUNT = proxies
    assert client_ip(_request(forwarded=forwarded)) == expected


def test_a_forged_forwarded_header_does_not_escape_the_lockout(people, settings):
    settings.RASAD_PROXY_COUNT = 1
    client = Client()
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, {HOME}",
        )
    refused = client.post(
        "/accounts/login/",
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"7.7.7.7, {HOME}",
    )
    assert refused.status_code == 429
    allowed = client.post(
        "/accounts/login/",
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=AWAY,
    )
    assert allowed.status_code == 302


# --- API tokens ----------------------------------------------------------------------------


def _api(secret, address=HOME, **headers):
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR=address, **headers).get(
        "/api/indicators"
    )


def test_wrong_tokens_lock_the_address_out_of_every_token(people):
    _token, secret = ApiToken.issue(people["alice"], "sync")
    assert _api(secret).status_code == 200
    for n in range(1, django_settings.AXES_FAILURE_LIMIT):
        assert _api(f"rasad_guess{n}").status_code == 401, n
    last = _api("rasad_guess-last")
    assert last.status_code == 429 and last["Retry-After"] == "900"
    body = last.json()
    assert (
        body["code"] == "too_many_attempts"
        and "15 minutes" in body["message_en"]
        and body["message_fa"]
    )
    right = _api(secret)
    assert right.status_code == 429 and right.json()["code"] == "too_many_attempts"
    assert _api(secret, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]  # bilingual body, never a page
    assert _api(secret, AWAY).status_code == 200  # another address is unaffected
    assert _login(Client(), "alice", PASSWORD).status_code == 302  # and so is the login form
    attempt = AccessAttempt.objects.get()
    assert attempt.username == TOKEN_ACCOUNT and attempt.ip_address == HOME
    _cool_off_passes(16)
    assert _api(secret).status_code == 200


def test_a_locked_out_login_does_not_block_tokens(people):
    _token, secret = ApiToken.issue(people["alice"], "sync")
    _lock(Client())
    assert _api(secret).status_code == 200
