"""The built Lambda bootstraps (`cargo lambda build --release --arm64`, as `sam build` makes them)
run under a Lambda Runtime API, configured from environment variables as the template configures
them in AWS, against DynamoDB and Secrets Manager through moto, and sent API Gateway HTTP API
(payload v2) events.

The arm64 binaries run through qemu's user-mode emulator on an x86_64 machine (scripts/test
installs it). Each test starts fresh function processes: a cold start each.
"""

import base64
import copy
import json
import os
import subprocess
import time
import urllib.parse
import uuid

import boto3
import jwt
import pytest

from runtime_api import Function

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAMBDA_DIR = os.environ.get("GATEHOUSE_LAMBDA_DIR", os.path.join(ROOT, "target", "lambda"))
BIN = os.environ.get("GATEHOUSE_BIN", os.path.join(ROOT, "target", "debug", "gatehouse"))
DYNAMODB = os.environ.get("GATEHOUSE_TEST_DYNAMODB_ENDPOINT")
REQUIRED = any(os.environ.get(name, "") not in ("", "false") for name in ("CI", "GATEHOUSE_REQUIRE_LAMBDA"))
FUNCTIONS = ["token", "revoke", "authorize", "api", "wellknown", "admin"]
ISSUER = "https://auth.example.com"
INTEGRATION_SECRET = "demo-integration-secret-change-me-0123456789"
# How long an api process takes storage's word that a token is not revoked (docs/api.md).
REVOCATION_STALENESS_SECONDS = 5

with open(os.path.join(ROOT, "tests", "fixtures", "apigw-v2-post-oauth-token.json")) as f:
    EVENT = json.load(f)


def bootstrap(name):
    return os.path.join(LAMBDA_DIR, name, "bootstrap")


def missing_bootstraps():
    return [name for name in FUNCTIONS if not os.path.exists(bootstrap(name))]


pytestmark = pytest.mark.skipif(
    bool(missing_bootstraps()) and not REQUIRED,
    reason=f"no built bootstraps in {LAMBDA_DIR} (cargo lambda build --release --arm64; scripts/test does)",
)


def event(method, path, body=None, headers=None, query=""):
    """An API Gateway HTTP API v2 event, from the fixture docs/deploy.md invokes."""
    e = copy.deepcopy(EVENT)
    e["routeKey"] = f"{method} {path}"
    e["rawPath"] = path
    e["rawQueryString"] = query
    e["requestContext"]["http"]["method"] = method
    e["requestContext"]["http"]["path"] = path
    e["requestContext"]["routeKey"] = e["routeKey"]
    e["requestContext"]["requestId"] = uuid.uuid4().hex
    e["headers"] = {k: v for k, v in e["headers"].items() if k not in ("content-type", "content-length")}
    e["headers"].update(headers or {})
    e["body"] = body or ""
    if body:
        e["headers"]["content-length"] = str(len(body))
    return e


def form(method, path, fields, headers=None):
    return event(
        method, path, urllib.parse.urlencode(fields),
        {"content-type": "application/x-www-form-urlencoded", **(headers or {})},
    )


def answer(function, e):
    kind, payload = function.invoke(e)
    assert kind == "response", payload
    body = payload.get("body", "")
    if payload.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return payload["statusCode"], {k.lower(): v for k, v in payload.get("headers", {}).items()}, body


def cli(*args, stdin=None):
    result = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def deployment():
    """What a deployment has: a table loaded with the demo seed, the signing key in Secrets
    Manager, its public key as the PublishedKeys parameter, and the functions' environment."""
    assert not missing_bootstraps(), f"missing bootstraps in {LAMBDA_DIR}: {missing_bootstraps()}"
    assert DYNAMODB, "GATEHOUSE_TEST_DYNAMODB_ENDPOINT is not set (scripts/test starts moto)"
    table = f"gatehouse-lambda-{uuid.uuid4().hex[:12]}"
    cli("import", "--seed", "demo/seed.json", "--dynamodb-endpoint", DYNAMODB, "--table", table,
        "--create-table")
    private = cli("keys", "generate")
    published = cli("keys", "public", "--one-line", stdin=private).strip()
    secrets = boto3.client(
        "secretsmanager", endpoint_url=DYNAMODB, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    arn = secrets.create_secret(Name=f"gatehouse/signing-keys/{table}", SecretString=private)["ARN"]
    common = {
        "AWS_ENDPOINT_URL": DYNAMODB,
        "GATEHOUSE_ISSUER": ISSUER,
        "GATEHOUSE_ORGANIZATION_ID": "org_acme",
        "GATEHOUSE_ORGANIZATION_SLUG": "acme",
        "GATEHOUSE_TABLE": table,
        "RUST_LOG": "info",
    }
    return {
        "common": common,
        "token": {**common, "GATEHOUSE_SIGNING_KEYS_SECRET_ARN": arn, "GATEHOUSE_PUBLISHED_KEYS": published},
        "revoke": {**common, "GATEHOUSE_PUBLISHED_KEYS": published},
        "authorize": common,
        "api": {**common, "GATEHOUSE_PUBLISHED_KEYS": published},
        "wellknown": {**common, "GATEHOUSE_PUBLISHED_KEYS": published},
        "admin": {**common, "GATEHOUSE_SECRET_ROTATION_OVERLAP_SECONDS": "3600"},
        "secret_arn": arn,
    }


@pytest.fixture
def start(deployment):
    started = []

    def start_function(name, environment=None):
        function = Function(bootstrap(name), environment if environment is not None else deployment[name])
        started.append(function)
        return function

    yield start_function
    for function in started:
        function.finish()


def test_a_token_from_the_key_in_secrets_manager_verifies_with_the_published_jwks_and_opens_the_api(deployment, start):
    token = start("token")
    status, headers, body = answer(token, EVENT)
    assert status == 200, body
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    issued = json.loads(body)
    assert issued["scope"] == "market:1001"
    request_id = token.api.last_request_id
    logs = token.json_lines()
    request_lines = [
        {**line, **line.get("fields", {})} for line in logs if line.get("target") == "gatehouse::request"
    ]
    assert len(request_lines) == 1, logs
    line = request_lines[0]
    assert (line["request_id"], line["route"], line["status"], line["grant"], line["client_id"]) == (
        request_id, "/oauth/token", 200, "client_credentials", "demo-storefront",
    ), line
    assert "timestamp" in line and line["latency_ms"] >= 0
    emf = [doc for doc in logs if "_aws" in doc and "TokensIssued" in doc]
    assert [(doc["Grant"], doc["ApplicationKind"]) for doc in emf] == [("client_credentials", "sales_channel")], logs
    assert issued["access_token"] not in token.output

    wellknown = start("wellknown")
    status, _, body = answer(wellknown, event("GET", "/.well-known/jwks.json"))
    assert status == 200, body
    jwks = jwt.PyJWKSet.from_dict(json.loads(body))
    kid = jwt.get_unverified_header(issued["access_token"])["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = jwt.decode(issued["access_token"], key.key, algorithms=["ES256"], issuer=ISSUER)
    assert claims["market"]["number"] == 1001

    api = start("api")
    status, _, body = answer(
        api, event("GET", "/api/markets", headers={"authorization": f"Bearer {issued['access_token']}"})
    )
    assert status == 200, body
    assert [m["attributes"]["number"] for m in json.loads(body)["data"]] == [1001]


def test_a_customer_logs_in_refreshes_and_revokes_through_the_token_and_revoke_binaries(start):
    token = start("token")
    login = {"grant_type": "password", "client_id": "demo-storefront", "username": "alice@example.com",
             "password": "alice-demo-password", "scope": "market:code:vip"}
    status, _, body = answer(token, form("POST", "/oauth/token", login))
    assert status == 200, body
    refresh = json.loads(body)["refresh_token"]

    revoke = start("revoke")
    status, _, body = answer(revoke, form("POST", "/oauth/revoke", {"client_id": "demo-storefront", "token": refresh}))
    assert (status, json.loads(body)) == (200, {})
    status, _, body = answer(
        token, form("POST", "/oauth/token", {"grant_type": "refresh_token", "client_id": "demo-storefront", "refresh_token": refresh})
    )
    assert (status, json.loads(body)["error"]) == (400, "invalid_grant")

    # An access token, revoked by the revoke binary, is refused by the api binary once the
    # bound has passed (a Lambda process takes storage's "not revoked" for 5 s), and so is the
    # login it came from.
    status, _, body = answer(token, form("POST", "/oauth/token", login))
    second = json.loads(body)
    api = start("api")
    bearer = {"authorization": f"Bearer {second['access_token']}"}
    assert answer(api, event("GET", "/api/markets", headers=bearer))[0] == 200
    status, _, body = answer(
        revoke, form("POST", "/oauth/revoke", {"client_id": "demo-storefront", "token": second["access_token"]})
    )
    assert (status, json.loads(body)) == (200, {})
    time.sleep(REVOCATION_STALENESS_SECONDS + 0.5)
    status, _, body = answer(api, event("GET", "/api/markets", headers=bearer))
    assert (status, json.loads(body)["errors"][0]["code"]) == (401, "INVALID_TOKEN")
    status, _, body = answer(
        token, form("POST", "/oauth/token", {"grant_type": "refresh_token", "client_id": "demo-storefront",
                                             "refresh_token": second["refresh_token"]})
    )
    assert status == 400, body
    token.finish()
    revoke.finish()
    api.finish()
    for secret in ("alice-demo-password", refresh, second["refresh_token"]):
        assert secret not in token.output and secret not in revoke.output


def test_an_integration_authenticates_with_basic_and_a_wrong_secret_is_refused(start):
    token = start("token")
    fields = {"grant_type": "client_credentials"}
    good = "Basic " + base64.b64encode(f"demo-integration:{INTEGRATION_SECRET}".encode()).decode()
    bad = "Basic " + base64.b64encode(b"demo-integration:wrong-secret-wrong-secret-wrong-secret").decode()
    status, _, body = answer(token, form("POST", "/oauth/token", fields, {"authorization": good}))
    assert status == 200, body
    status, headers, body = answer(token, form("POST", "/oauth/token", fields, {"authorization": bad}))
    assert (status, json.loads(body)["error"]) == (401, "invalid_client")
    assert "www-authenticate" in headers
    token.finish()
    for secret in (INTEGRATION_SECRET, good.split()[1], "wrong-secret-wrong-secret"):
        assert secret not in token.output


def test_the_token_binary_trusts_a_backend_with_the_secret_it_reads_from_secrets_manager(deployment, start):
    """A server-rendered storefront's shoppers are counted by their own addresses when it
    presents the backend secret, read from Secrets Manager at the cold start; without it, by the
    server's address. Sent from an address of its own, so no other test's count is touched."""
    secrets = boto3.client(
        "secretsmanager", endpoint_url=DYNAMODB, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    backend = f"backend-secret-{uuid.uuid4().hex}"
    arn = secrets.create_secret(Name=f"gatehouse/backend-auth/{uuid.uuid4().hex[:12]}", SecretString=backend)["ARN"]
    token = start("token", {**deployment["token"], "GATEHOUSE_BACKEND_AUTH_SECRET_ARN": arn})
    fields = {"grant_type": "client_credentials", "client_id": "demo-storefront", "scope": "market:1001"}

    def send(headers):
        e = form("POST", "/oauth/token", fields, headers)
        e["requestContext"]["http"]["sourceIp"] = "192.0.2.77"
        return answer(token, e)[0]

    shoppers = [send({"x-backend-auth": backend, "x-true-client-ip": f"198.18.9.{n}"}) for n in range(1, 41)]
    assert shoppers == [200] * 40
    assert send({"x-backend-auth": backend, "x-true-client-ip": "not-an-address"}) == 400
    guessed = [send({"x-backend-auth": backend[:-1] + "?", "x-true-client-ip": f"198.18.10.{n}"}) for n in range(1, 32)]
    assert guessed == [200] * 30 + [429]
    token.finish()
    assert backend not in token.output, "the backend secret is never logged"


def test_the_sign_in_page_and_the_metadata_are_served(start):
    authorize = start("authorize")
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": "demo-webapp", "redirect_uri": "http://localhost:8080/callback",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256",
        "scope": "market:1001", "state": "xyz",
    })
    status, headers, body = answer(authorize, event("GET", "/oauth/authorize", query=query))
    assert status == 200, body
    assert headers["content-type"].startswith("text/html") and "<form" in body

    wellknown = start("wellknown")
    status, _, body = answer(wellknown, event("GET", "/.well-known/oauth-authorization-server"))
    assert status == 200, body
    assert json.loads(body)["token_endpoint"] == f"{ISSUER}/oauth/token"


def test_cors_preflights_are_answered_for_allowed_origins_only(deployment, start):
    token = start("token", {**deployment["token"], "GATEHOUSE_CORS_ALLOWED_ORIGINS": "https://shop.example.com"})
    preflight = event("OPTIONS", "/oauth/token", headers={
        "origin": "https://shop.example.com", "access-control-request-method": "POST",
    })
    status, headers, _ = answer(token, preflight)
    assert status == 204
    assert headers["access-control-allow-origin"] == "https://shop.example.com"
    preflight["headers"]["origin"] = "https://evil.example"
    status, headers, _ = answer(token, preflight)
    assert status == 204 and "access-control-allow-origin" not in headers


@pytest.mark.parametrize(
    "name, change, named",
    [
        ("token", {"GATEHOUSE_SIGNING_KEYS_SECRET_ARN": None}, "set GATEHOUSE_SIGNING_KEYS_SECRET_ARN or GATEHOUSE_SIGNING_KEYS"),
        ("token", {"GATEHOUSE_SIGNING_KEYS_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope"},
         "GATEHOUSE_SIGNING_KEYS_SECRET_ARN is not valid: secret arn:aws:secretsmanager:us-east-1:123456789012:secret:nope"),
        ("token", {"GATEHOUSE_SIGNING_KEYS_SECRET_ARN": None, "GATEHOUSE_SIGNING_KEYS": "-----BEGIN"},
         "GATEHOUSE_SIGNING_KEYS is not valid"),
        ("token", {"GATEHOUSE_TABLE": None}, "GATEHOUSE_TABLE is not set"),
        ("token", {"GATEHOUSE_RATE_LIMIT": "lots"}, "GATEHOUSE_RATE_LIMIT is not valid: 'lots' is not a whole number"),
        ("revoke", {"GATEHOUSE_ISSUER": "http://auth.example.com"}, "GATEHOUSE_ISSUER is not valid"),
        ("revoke", {"GATEHOUSE_PUBLISHED_KEYS": None}, "GATEHOUSE_PUBLISHED_KEYS is not set"),
        ("authorize", {"GATEHOUSE_ORGANIZATION_ID": None}, "GATEHOUSE_ORGANIZATION_ID is not set"),
        ("api", {"GATEHOUSE_PUBLISHED_KEYS": "-----BEGIN PUBLIC KEY-----"}, "GATEHOUSE_PUBLISHED_KEYS is not valid"),
        ("wellknown", {"GATEHOUSE_PUBLISHED_KEYS": None}, "GATEHOUSE_PUBLISHED_KEYS is not set"),
        ("token", {"GATEHOUSE_CORS_ALLOWED_ORIGINS": "*"}, "GATEHOUSE_CORS_ALLOWED_ORIGINS is not valid"),
        ("admin", {"GATEHOUSE_TABLE": None}, "GATEHOUSE_TABLE is not set"),
        ("admin", {"GATEHOUSE_SECRET_ROTATION_OVERLAP_SECONDS": "a day"}, "GATEHOUSE_SECRET_ROTATION_OVERLAP_SECONDS is not valid"),
        ("api", {"RUST_LOG": "info,[unclosed"}, "RUST_LOG is not valid"),
        ("revoke", {"GATEHOUSE_BACKEND_AUTH_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope"},
         "GATEHOUSE_BACKEND_AUTH_SECRET_ARN is not valid"),
        ("authorize", {"GATEHOUSE_BACKEND_AUTH_SECRET": "short"},
         "GATEHOUSE_BACKEND_AUTH_SECRET is not valid: the backend secret must be at least 32 characters"),
    ],
)
def test_missing_or_bad_configuration_stops_the_cold_start_naming_the_variable(deployment, start, name, change, named):
    environment = {k: v for k, v in {**deployment[name], **change}.items() if v is not None}
    function = start(name, environment)
    code, output = function.wait_for_exit()
    assert code != 0
    assert named in output, output
    assert function.api.next_calls == 0, "it failed at init, before asking for an event"
    assert [e["errorType"] for e in function.api.init_errors] == ["Runtime.ConfigError"]
    assert named in function.api.init_errors[0]["errorMessage"]


def test_the_token_function_refuses_to_sign_with_a_key_it_does_not_publish(deployment, start):
    other = cli("keys", "generate")
    published = cli("keys", "public", "--one-line", stdin=other).strip()
    function = start("token", {**deployment["token"], "GATEHOUSE_PUBLISHED_KEYS": published})
    code, output = function.wait_for_exit()
    assert code != 0
    assert "GATEHOUSE_PUBLISHED_KEYS is not valid: the signing key" in output, output


def test_the_jwks_publishes_every_configured_key_so_a_next_key_can_be_published_before_it_signs(deployment, start):
    next_key = cli("keys", "generate", "--algorithm", "RS512")
    next_public = cli("keys", "public", "--one-line", stdin=next_key).strip()
    both = deployment["wellknown"]["GATEHOUSE_PUBLISHED_KEYS"] + "," + next_public
    wellknown = start("wellknown", {**deployment["wellknown"], "GATEHOUSE_PUBLISHED_KEYS": both})
    status, _, body = answer(wellknown, event("GET", "/.well-known/jwks.json"))
    assert status == 200, body
    keys = json.loads(body)["keys"]
    assert sorted(k["kty"] for k in keys) == ["EC", "RSA"] and len({k["kid"] for k in keys}) == 2
    # The token function still signs with the current key, and starts with both published.
    token = start("token", {**deployment["token"], "GATEHOUSE_PUBLISHED_KEYS": both})
    status, _, body = answer(token, EVENT)
    assert status == 200, body
    kid = jwt.get_unverified_header(json.loads(body)["access_token"])["kid"]
    assert kid in {k["kid"] for k in keys if k["kty"] == "EC"}


def iam_signed(e, arn="arn:aws:iam::123456789012:user/ops"):
    """The event API Gateway sends once AWS_IAM authorization has checked the SigV4 signature."""
    e["requestContext"]["authorizer"] = {"iam": {
        "accessKey": "AKIAEXAMPLE", "accountId": "123456789012", "callerId": "AIDAEXAMPLE",
        "principalOrgId": None, "userArn": arn, "userId": "AIDAEXAMPLE",
    }}
    return e


def test_the_admin_function_rotates_a_secret_for_an_iam_caller_and_audits_it(deployment, start):
    admin = start("admin")
    status, _, body = answer(admin, iam_signed(event("GET", "/admin/applications", query="mode=test")))
    assert status == 200, body
    assert "demo-integration" in [a["client_id"] for a in json.loads(body)["applications"]]
    assert "secret_hash" not in body and INTEGRATION_SECRET not in body

    rotate = iam_signed(event("POST", "/admin/applications/demo-integration/secret", "{}",
                              {"content-type": "application/json"}))
    status, _, body = answer(admin, rotate)
    assert status == 200, body
    rotated = json.loads(body)
    assert len(rotated["client_secret"]) >= 43 and rotated["previous_secret_valid_until"]

    # The token function takes the new secret, and the old one within the overlap (3600 s).
    token = start("token")
    for secret in (rotated["client_secret"], INTEGRATION_SECRET):
        basic = "Basic " + base64.b64encode(f"demo-integration:{secret}".encode()).decode()
        status, _, body = answer(token, form("POST", "/oauth/token", {"grant_type": "client_credentials"}, {"authorization": basic}))
        assert status == 200, body

    status, _, body = answer(admin, iam_signed(event("GET", "/admin/audit", query="limit=5")))
    assert status == 200, body
    newest = json.loads(body)["audit"][0]
    assert (newest["actor"], newest["target"]) == ("arn:aws:iam::123456789012:user/ops", "demo-integration")
    # A request that API Gateway did not authorize with IAM is refused by the function too.
    status, _, body = answer(admin, event("GET", "/admin/applications"))
    assert status == 403, body
    admin.finish()
    assert rotated["client_secret"] not in admin.output
