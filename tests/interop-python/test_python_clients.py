"""Interoperability: Python OAuth 2.0 and JWT clients nobody here wrote, against `gatehouse serve`.

authlib (client credentials, password, refresh, authorization code with PKCE), requests-oauthlib
(with the one setting Gatehouse's normalized scope needs) and PyJWT's PyJWKClient (verifying
tokens from the JWKS URL and the issuer alone).

Run: `GATEHOUSE_BIN=target/debug/gatehouse python3 -m pytest tests/interop-python -q` (scripts/test does).
"""

import os
import re
import socket
import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from requests_oauthlib import OAuth2Session as OAuthlibSession
from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient

BIN = os.environ.get("GATEHOUSE_BIN", "target/debug/gatehouse")
STOREFRONT = "demo-storefront"
INTEGRATION = ("demo-integration", "demo-integration-secret-change-me-0123456789")
WEBAPP = ("demo-webapp", "demo-webapp-secret-change-me-0123456789abcdef")
REDIRECT = "http://localhost:8080/callback"
BOB = ("bob@example.com", "bob-demo-password")
ADMIN = ("admin@example.com", "admin-demo-password")
TIMEOUT = 15


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`gatehouse serve` on the demo seed; its issuer is its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [BIN, "serve", "--port", str(port)],
        cwd=tmp_path_factory.mktemp("gatehouse"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 30
    while True:
        if process.poll() is not None:
            raise AssertionError(f"gatehouse serve exited: {process.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            if time.time() > deadline:
                process.kill()
                raise AssertionError("gatehouse serve did not start listening")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


def verified(server, token, issuer=None, **options):
    """PyJWT with only the JWKS URL and the issuer; the algorithm is the JWK's, not the header's."""
    signing_key = jwt.PyJWKClient(f"{server}/.well-known/jwks.json", timeout=TIMEOUT).get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        signing_key.key,
        algorithms=[signing_key.algorithm_name],
        issuer=issuer or server,
        options={"require": ["exp", "iat", "iss"]},
        **options,
    )


# ------------------------------------------------------------------ authlib -----------------


def test_authlib_gets_a_sales_channel_token_as_a_public_client(server):
    session = AuthlibSession(STOREFRONT, token_endpoint_auth_method="none", scope="market:code:eu")
    token = session.fetch_token(f"{server}/oauth/token", grant_type="client_credentials", timeout=TIMEOUT)
    assert token["scope"] == "market:code:eu"
    assert token["token_type"] == "bearer"
    claims = verified(server, token["access_token"])
    assert claims["market"]["number"] == 1001
    # authlib's session then calls the resource API with the token.
    markets = session.get(f"{server}/api/markets", timeout=TIMEOUT)
    assert markets.status_code == 200, markets.text
    assert [m["id"] for m in markets.json()["data"]] == ["mkt_eu"]


def test_authlib_gets_an_integration_token_with_client_secret_basic(server):
    session = AuthlibSession(*INTEGRATION, token_endpoint_auth_method="client_secret_basic")
    token = session.fetch_token(f"{server}/oauth/token", grant_type="client_credentials", timeout=TIMEOUT)
    assert token["scope"] == "market:all"
    assert verified(server, token["access_token"])["application"]["kind"] == "integration"


def test_authlib_signs_a_customer_in_by_password_and_refreshes_with_rotation(server):
    session = AuthlibSession(STOREFRONT, token_endpoint_auth_method="none", scope="market:1001")
    token = session.fetch_token(f"{server}/oauth/token", username=BOB[0], password=BOB[1], timeout=TIMEOUT)
    assert token["owner_type"] == "customer"
    assert verified(server, token["access_token"])["owner"] == {"id": "cus_bob", "type": "Customer"}
    first_refresh = token["refresh_token"]
    refreshed = session.refresh_token(f"{server}/oauth/token", refresh_token=first_refresh, timeout=TIMEOUT)
    assert refreshed["refresh_token"] != first_refresh
    assert verified(server, refreshed["access_token"])["owner"]["id"] == "cus_bob"


def sign_in_and_allow(authorize_url, who):
    """What a user does in a browser: opens the page, signs in, approves; returns the redirect."""
    with requests.Session() as browser:
        page = browser.get(authorize_url, timeout=TIMEOUT)
        assert page.status_code == 200, page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        form = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        form.update(csrf=csrf, email=who[0], password=who[1], action="allow")
        answer = browser.post(authorize_url.split("?")[0], data=form, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 303, answer.text
    return answer.headers["Location"]


def test_authlib_runs_the_authorization_code_flow_with_pkce_and_refreshes(server):
    session = AuthlibSession(
        *WEBAPP,
        token_endpoint_auth_method="client_secret_basic",
        scope="market:code:eu",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier = "a-verifier-of-at-least-43-characters-from-authlib-" + os.urandom(8).hex()
    authorize_url, state = session.create_authorization_url(f"{server}/oauth/authorize", code_verifier=verifier)
    callback = sign_in_and_allow(authorize_url, ADMIN)
    query = parse_qs(urlsplit(callback).query)
    assert query["iss"] == [server]
    token = session.fetch_token(
        f"{server}/oauth/token", authorization_response=callback, state=state, code_verifier=verifier, timeout=TIMEOUT
    )
    # The scope the authorization request asked, as it asked it.
    assert token["scope"] == "market:code:eu"
    assert verified(server, token["access_token"])["owner"] == {"id": "usr_admin", "type": "User"}
    refreshed = session.refresh_token(f"{server}/oauth/token", refresh_token=token["refresh_token"], timeout=TIMEOUT)
    assert verified(server, refreshed["access_token"])["owner"]["id"] == "usr_admin"


# ------------------------------------------------------------------ requests-oauthlib -------


def test_requests_oauthlib_gets_the_scope_back_as_asked_and_needs_no_setting(server, monkeypatch):
    # oauthlib refuses plain http; the test server is on loopback http, a deployment is https.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    # Without it, oauthlib raises "Scope has changed" when the answer's scope differs from the
    # request's: a scope granted as asked is answered as asked.
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)
    # The scope goes to the client (which sends it) and to the session (which compares the answer).
    scope = ["market:code:eu"]
    session = OAuthlibSession(client=BackendApplicationClient(STOREFRONT, scope=scope), scope=scope)
    token = session.fetch_token(f"{server}/oauth/token", include_client_id=True, timeout=TIMEOUT)
    assert token["scope"] == scope
    assert verified(server, token["access_token"])["market"]["number"] == 1001


def test_requests_oauthlib_needs_no_setting_when_asked_for_the_normalized_scope(server, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)
    scope = ["market:1001"]
    session = OAuthlibSession(client=LegacyApplicationClient(STOREFRONT, scope=scope), scope=scope)
    token = session.fetch_token(
        f"{server}/oauth/token", username=BOB[0], password=BOB[1], include_client_id=True, timeout=TIMEOUT
    )
    assert token["scope"] == ["market:1001"]
    refreshed = session.refresh_token(
        f"{server}/oauth/token", refresh_token=token["refresh_token"], client_id=STOREFRONT, timeout=TIMEOUT
    )
    assert refreshed["refresh_token"] != token["refresh_token"]


# ------------------------------------------------------------------ PyJWT -------------------


def test_pyjwkclient_verifies_a_token_from_the_jwks_url_and_refuses_a_wrong_issuer(server):
    token = requests.post(
        f"{server}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": STOREFRONT, "scope": "market:1001"},
        timeout=TIMEOUT,
    ).json()["access_token"]
    claims = verified(server, token)
    assert claims["application"]["client_id"] == STOREFRONT
    with pytest.raises(jwt.InvalidIssuerError):
        verified(server, token, issuer="https://auth.elsewhere.example")


def test_a_verifier_that_requires_an_audience_refuses_gatehouse_tokens_which_carry_none(server):
    token = requests.post(
        f"{server}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": STOREFRONT, "scope": "market:1001"},
        timeout=TIMEOUT,
    ).json()["access_token"]
    assert "aud" not in verified(server, token)
    with pytest.raises(jwt.MissingRequiredClaimError, match="aud"):
        verified(server, token, audience="https://api.example")
