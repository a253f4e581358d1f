#!/usr/bin/env python3
"""Writes every file of events/ from the payload fixtures in shared/tests/fixtures/.

The files are API Gateway HTTP API (payload format 2.0) proxy events, usable with `sam local invoke -e`,
`rollcall send` and the tests. A file's name says what the receiver must answer: `NAME.json` 200 queued,
`NAME.quarantined.json` 200 quarantined, `NAME.<status>.json` that status.

Deterministic and re-runnable: same fixtures and keys in, same files out (RS256 signatures are deterministic).
Needs only python3 (stdlib) and the `openssl` command. Run from anywhere: `python3 scripts/make-events.py`.

The credentials are the public TEST samples (`rollcall serve --dev` defaults); never use them in production.
"""

import base64
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "shared" / "tests" / "fixtures"
EVENTS = ROOT / "events"



def sample_key(name):
    """A sample credential, read from where it is defined once: `shared/src/config.rs`."""
    source = (ROOT / "shared" / "src" / "config.rs").read_text(encoding="utf-8")
    found = re.search(rf'pub const {name}: &str = "([^"]+)";', source)
    if not found:
        sys.exit(f"make-events: {name} not found in shared/src/config.rs")
    return found.group(1)


OMERLO_KEY = sample_key("SAMPLE_OMERLO_API_KEY")
MIGHTY_KEY = sample_key("SAMPLE_MIGHTY_NETWORKS_API_KEY")
TEST_KEY = FIXTURES / "wix-test-key.pem"
OTHER_KEY = FIXTURES / "wix-other-key.pem"
PUBLIC_KEY = EVENTS / "wix-test-key.pub.pem"

# A fixed issue time (2026-01-01T00:00:00Z) and no `exp`, so the committed tokens never expire. Rollcall refuses
# tokens older than WIX_MAX_TOKEN_AGE_SECS: whatever replays these files sets it to `off` (events/README.md).
IAT = 1767225600
TIME_EPOCH_MS = IAT * 1000
TIME = "01/Jan/2026:00:00:00 +0000"

API_ID = "r0llca11"
ACCOUNT_ID = "123456789012"
DOMAIN = f"{API_ID}.execute-api.us-east-1.amazonaws.com"
SOURCE_IP = "203.0.113.10"

USER_AGENTS = {
    "omerlo": "Omerlo-Webhooks/1.0",
    "mighty-networks": "MightyNetworks-Webhooks/1.0",
    "wix": "Wix-Webhooks/1.0",
}

KINDS = [
    ("omerlo", "event-invitation-created"),
    ("omerlo", "participant-created"),
    ("omerlo", "participant-removed"),
    ("mighty-networks", "event-created"),
    ("mighty-networks", "event-updated"),
    ("mighty-networks", "rsvp-created"),
    ("mighty-networks", "rsvp-updated"),
    ("mighty-networks", "rsvp-deleted"),
    ("wix", "participation-created"),
    ("wix", "participation-updated"),
    ("wix", "participation-deleted"),
    ("wix", "guest-created"),
    ("wix", "guest-updated"),
    ("wix", "guest-deleted"),
    ("wix", "event-created"),
    ("wix", "event-updated"),
    ("wix", "event-canceled"),
    ("wix", "event-deleted"),
]


def fixture_text(stem):
    return (FIXTURES / f"{stem}.json").read_text(encoding="utf-8")


def fixture(stem):
    return json.loads(fixture_text(stem))


def compact(value):
    """JSON as serde_json::to_string writes it (no spaces), keys sorted for stable output."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def wix_claims(delivery):
    """JWT claims of a decoded Wix delivery: `data` and `identity` become JSON strings again, then the whole
    delivery becomes the JSON string of the `data` claim."""
    outer = dict(delivery)
    for key in ("data", "identity"):
        if key in outer:
            outer[key] = compact(outer[key])
    return {"data": compact(outer), "iat": IAT}


def sign(claims, key):
    """A compact RS256 JWT (RSASSA-PKCS1-v1_5 with SHA-256) signed by `openssl dgst`."""
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(compact(claims).encode("utf-8"))
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", str(key)],
        input=signing_input,
        capture_output=True,
        check=True,
    ).stdout
    return f"{header}.{payload}.{b64url(signature)}"


def event(name, provider, route, body, headers, base64_body=False):
    path = f"/webhooks/{provider}/{route}"
    route_key = f"POST {path}"
    user_agent = USER_AGENTS[provider]
    all_headers = {
        "content-type": "text/plain" if provider == "wix" else "application/json",
        "host": DOMAIN,
        "user-agent": user_agent,
        "x-forwarded-for": SOURCE_IP,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    all_headers.update(headers)
    if base64_body:
        body = base64.b64encode(body.encode("utf-8")).decode("ascii")
    digest = hashlib.sha256(f"request {name}".encode()).hexdigest()
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": dict(sorted(all_headers.items())),
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": DOMAIN,
            "domainPrefix": API_ID,
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": SOURCE_IP,
                "userAgent": user_agent,
            },
            "requestId": f"{digest[:6]}{digest[6:8].upper()}EMVA=",
            "routeKey": route_key,
            "stage": "$default",
            "time": TIME,
            "timeEpoch": TIME_EPOCH_MS,
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def credentials(provider, key=None):
    if provider == "omerlo":
        return {"x-api-key": key or OMERLO_KEY}
    if provider == "mighty-networks":
        return {"authorization": f"Bearer {key or MIGHTY_KEY}"}
    return {}


def valid_body(provider, stem, key=TEST_KEY):
    if provider == "wix":
        return sign(wix_claims(fixture(stem)), key)
    return fixture_text(stem)


def build():
    """Every events/ file as name -> JSON value."""
    files = {}

    def add(name, provider, route, body, key=None, base64_body=False):
        files[name] = event(name, provider, route, body, credentials(provider, key), base64_body)

    # One valid delivery per kind.
    for provider, route in KINDS:
        stem = f"{provider}-{route}"
        add(f"{stem}.json", provider, route, valid_body(provider, stem))

    # Refused: wrong credentials.
    add("omerlo-wrong-key.401.json", "omerlo", "participant-created",
        fixture_text("omerlo-participant-created"), key="wrong-key")
    add("mighty-networks-wrong-key.401.json", "mighty-networks", "rsvp-created",
        fixture_text("mighty-networks-rsvp-created"), key="wrong-key")
    add("wix-bad-signature.401.json", "wix", "participation-created",
        valid_body("wix", "wix-participation-created", key=OTHER_KEY))

    # Quarantined: authentic, but unreadable as the route's kind.
    add("omerlo-malformed.quarantined.json", "omerlo", "participant-created",
        '{"event_name": "participant_created", "data": {')
    add("omerlo-wrong-kind.quarantined.json", "omerlo", "participant-removed",
        fixture_text("omerlo-participant-created"))
    no_event_id = fixture("mighty-networks-rsvp-created")
    del no_event_id["event_id"]
    add("mighty-networks-malformed.quarantined.json", "mighty-networks", "rsvp-created",
        json.dumps(no_event_id, indent=2, ensure_ascii=False) + "\n")
    add("mighty-networks-wrong-kind.quarantined.json", "mighty-networks", "event-created",
        fixture_text("mighty-networks-rsvp-created"))
    add("wix-wrong-kind.quarantined.json", "wix", "participation-created",
        valid_body("wix", "wix-participation-updated"))
    add("wix-guest-wrong-kind.quarantined.json", "wix", "guest-created",
        valid_body("wix", "wix-guest-updated"))
    add("wix-event-wrong-kind.quarantined.json", "wix", "event-canceled",
        valid_body("wix", "wix-guest-deleted"))
    add("wix-malformed.quarantined.json", "wix", "participation-created",
        sign({"data": "not json", "iat": IAT}, TEST_KEY))

    # A base64-encoded body (as API Gateway sends binary media types): a distinct valid participant_removed.
    removed = fixture_text("omerlo-participant-removed")
    participant_id = fixture("omerlo-participant-removed")["data"]["participant"]["id"]
    other_id = "9b0e4c57-d2a8-4f61-8c3b-7e5a1f2d6c94"
    assert removed.count(participant_id) == 1, "participant id must occur once in the fixture"
    add("omerlo-participant-removed-base64.json", "omerlo", "participant-removed",
        removed.replace(participant_id, other_id), base64_body=True)

    # The `sam local invoke --env-vars` file (not an event: no routeKey / requestContext).
    files["env.json"] = {
        "Parameters": {
            "OMERLO_API_KEY": OMERLO_KEY,
            "MIGHTY_NETWORKS_API_KEY": MIGHTY_KEY,
            "WIX_PUBLIC_KEY": PUBLIC_KEY.read_text(encoding="ascii"),
            "QUEUE_URL": "http://host.docker.internal:4566/123456789012/rollcall-messages.fifo",
            "QUARANTINE_QUEUE_URL": "http://host.docker.internal:4566/123456789012/rollcall-quarantine",
            "AWS_ENDPOINT_URL": "http://host.docker.internal:4566",
        }
    }
    return files


def main():
    for path in (TEST_KEY, OTHER_KEY, PUBLIC_KEY):
        if not path.is_file():
            sys.exit(f"missing {path.relative_to(ROOT)} (see events/README.md to create the test keys)")
    EVENTS.mkdir(exist_ok=True)
    files = build()
    for name, value in sorted(files.items()):
        (EVENTS / name).write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(files)} files to {EVENTS.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
