"""The edge rules of org policies, enforced by the real binary: IP rules (per route and
org-wide; `X-Forwarded-For` believed only from `--trusted-proxies`), CORS (preflights answered
at the edge without authentication or the function; headers on actual responses), request
limits (405, 415, 413 declared and streamed, 431) and rate limits (429 with `Retry-After` and
`RateLimit-*`, per API key, and the accuracy of one limit shared by concurrent clients)."""

from __future__ import annotations

import os
import threading
import time
from types import SimpleNamespace

import pytest

from harness import assert_problem, check, h2_request, http1_request, uniq

ORIGIN = "https://app.example"


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


def _org(gh, upstream, routes: dict[str, dict]) -> str:
    """A new org with one function and the routes `{name: {"paths": [...], "auth": ..., ...}}`."""
    org = gh.create_org(uniq("pol"))
    gh.create_function(org, "fn", f"{upstream.url}/base")
    revision = 0
    for name, fields in routes.items():
        doc = {"name": name, "function": "fn", "auth": {"mode": "none"}, **fields}
        revision = check(gh.api("POST", f"/v1/orgs/{org}/routes", doc), 201).json()["revision"]
    gh.wait_for_revision(revision)
    return org


def _policy(gh, org: str, doc: dict, name: str = "edge") -> None:
    """Puts the org's policy `name` and waits until the edge enforces it."""
    resp = check(gh.api("PUT", f"/v1/orgs/{org}/policies/{name}", {"name": name, **doc}), 200, 201)
    gh.wait_for_revision(resp.json()["revision"])


def _received(upstream) -> int:
    """Requests the upstream has received so far; each call is one more (`/__stats` counts itself)."""
    return upstream.stats()["received"]


def _function_calls_since(upstream, before: int) -> int:
    return _received(upstream) - before - 1


def _host_port(addr: str) -> tuple[str, int]:
    host, port = addr.rsplit(":", 1)
    return host, int(port)


# --- IP rules --------------------------------------------------------------------------------


def test_ip_rules_apply_per_route_and_org_wide(gh, upstream):
    org = _org(gh, upstream, {"guarded": {"paths": ["/guarded"]}, "open": {"paths": ["/open"]}})
    with gh.client("h2") as c:
        _policy(gh, org, {"ipRules": [{"deny": ["127.0.0.0/8"], "routes": ["guarded"]}]})
        doc = assert_problem(c.get(f"/{org}/guarded"), 403, "address-not-allowed")
        assert "127.0.0.1" not in doc["detail"], doc
        check(c.get(f"/{org}/open"), 200)

        # Without `routes`, a rule covers every route of the org; an allow list admits only its ranges.
        _policy(gh, org, {"ipRules": [{"allow": ["10.0.0.0/8", "::1/128"]}]})
        for path in ("/guarded", "/open"):
            assert_problem(c.get(f"/{org}{path}"), 403, "address-not-allowed")

        _policy(gh, org, {"ipRules": [{"allow": ["127.0.0.1/32"]}]})
        for path in ("/guarded", "/open"):
            check(c.get(f"/{org}{path}"), 200)


def test_a_forged_forwarded_for_does_not_get_past_a_deny(gh, upstream):
    """Without trusted proxies the peer is the client, whatever X-Forwarded-For claims."""
    org = _org(gh, upstream, {"r": {"paths": ["/r"]}})
    _policy(gh, org, {"ipRules": [{"allow": ["203.0.113.0/24"], "deny": ["127.0.0.1/32"]}]})
    before = _received(upstream)
    with gh.client("h2") as c:
        for forged in ("203.0.113.9", "203.0.113.9, 203.0.113.10", "10.1.2.3"):
            doc = assert_problem(c.get(f"/{org}/r", headers={"X-Forwarded-For": forged}), 403, "address-not-allowed")
            assert "203.0.113" not in doc["detail"] and "10.1.2.3" not in doc["detail"], doc
    assert _function_calls_since(upstream, before) == 0, "a refused request reached the function"


def test_forwarded_for_is_believed_from_a_trusted_proxy(gatehouse_factory, upstream):
    gh = gatehouse_factory("--trusted-proxies", "127.0.0.1/32", name="gatehouse-behind-proxy")
    org = _org(gh, upstream, {"r": {"paths": ["/r"]}})
    _policy(gh, org, {"ipRules": [{"allow": ["203.0.113.0/24"]}]})
    with gh.client("h2") as c:
        # The proxy's own address is not the allowed client's.
        assert_problem(c.get(f"/{org}/r"), 403, "address-not-allowed")
        check(c.get(f"/{org}/r", headers={"X-Forwarded-For": "203.0.113.9"}), 200)
        # Read from the right: the proxy appended 198.51.100.7, the hop it saw; what the client
        # wrote to the left of it (203.0.113.9) proves nothing.
        assert_problem(
            c.get(f"/{org}/r", headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}), 403, "address-not-allowed")
        # A chain of trusted proxies is walked through to the first untrusted hop.
        check(c.get(f"/{org}/r", headers={"X-Forwarded-For": "203.0.113.9, 127.0.0.1"}), 200)


# --- CORS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cors_env(gh, upstream):
    # `keys` takes GET and POST only and needs an API key: a preflight is still answered there.
    org = _org(gh, upstream, {
        "keys": {"paths": ["/keys"], "methods": ["GET", "POST"], "auth": {"mode": "api-key"}},
        "plain": {"paths": ["/plain"]},
    })
    key = check(gh.api("POST", f"/v1/orgs/{org}/api-keys", {"name": "web"}), 201).json()
    gh.wait_for_revision(key["revision"])
    _policy(gh, org, {"cors": [{
        "origins": [ORIGIN, "https://*.example.org"], "methods": ["GET", "POST", "PUT"],
        "headers": ["content-type", "x-trace"], "exposedHeaders": ["x-upstream"], "maxAgeSeconds": 600,
        "routes": ["keys"],
    }]})
    return SimpleNamespace(org=org, key=key["key"])


def _preflight(c, path: str, origin: str, method: str, headers: str | None = None):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return c.options(path, headers=h)


@pytest.mark.parametrize("transport", ["h2", "h1"])
def test_cors_preflight_is_answered_at_the_edge_without_authentication_or_the_function(gh, upstream, cors_env, transport):
    path = f"/{cors_env.org}/keys"
    before = _received(upstream)
    with gh.client(transport) as c:
        r = _preflight(c, path, ORIGIN, "PUT", "Content-Type, X-Trace")
        assert r.status_code == 204, r.text
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert r.headers["access-control-allow-methods"] == "PUT"
        assert r.headers["access-control-allow-headers"] == "content-type, x-trace"
        assert r.headers["access-control-max-age"] == "600"
        assert "Origin" in r.headers.get_list("vary")
        assert "content-length" not in r.headers and r.content == b""
        assert _preflight(c, path, "https://a.example.org", "GET").status_code == 204

        # Refused: 403 without any Access-Control-Allow-* field, which is how Fetch is told no.
        for origin, method, asked in [
            ("https://evil.example", "GET", None),  # origin not listed
            (ORIGIN, "DELETE", None),  # method not allowed
            (ORIGIN, "POST", "authorization"),  # header not allowed
            ("https://example.org", "GET", None),  # the wildcard covers sub-domains only
        ]:
            r = _preflight(c, path, origin, method, asked)
            assert_problem(r, 403, "cors-refused")
            assert not any(name.startswith("access-control-") for name in r.headers), dict(r.headers)
    assert _function_calls_since(upstream, before) == 0, "a preflight reached the function"


def test_cors_headers_on_actual_responses(gh, upstream, cors_env):
    org = cors_env.org
    with gh.client("h2") as c:
        r = check(c.get(f"/{org}/keys", headers={"Origin": ORIGIN, "X-Api-Key": cors_env.key}), 200)
        assert r.headers["x-upstream"] == "echo", "not the function's response"
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert r.headers["access-control-expose-headers"] == "x-upstream"
        assert "Origin" in r.headers.get_list("vary")

        # Not allowed: no CORS fields, but still `Vary: Origin` for caches.
        r = check(c.get(f"/{org}/keys", headers={"Origin": "https://evil.example", "X-Api-Key": cors_env.key}), 200)
        assert "access-control-allow-origin" not in r.headers
        assert "Origin" in r.headers.get_list("vary")

        # The edge's own problems carry them too, so the page can read why it was refused.
        r = c.get(f"/{org}/keys", headers={"Origin": ORIGIN})
        assert_problem(r, 401)
        assert r.headers["access-control-allow-origin"] == ORIGIN

        # A route the CORS rule does not name: no CORS at all, and OPTIONS goes to the function.
        r = check(c.get(f"/{org}/plain", headers={"Origin": ORIGIN}), 200)
        assert "access-control-allow-origin" not in r.headers
        before = _received(upstream)
        r = check(_preflight(c, f"/{org}/plain", ORIGIN, "GET"), 200)
        assert r.json()["method"] == "OPTIONS" and _function_calls_since(upstream, before) == 1


# --- request limits --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limits_env(gh, upstream):
    org = _org(gh, upstream, {"upload": {"paths": ["/upload"]}, "other": {"paths": ["/other"]}})
    _policy(gh, org, {"requestLimits": [
        {"methods": ["GET", "POST"], "contentTypes": ["application/json", "text/*"], "maxHeaderBytes": 2048},
        {"maxBodyBytes": 100, "routes": ["upload"]},
    ]})
    return SimpleNamespace(org=org)


def test_request_limits_refuse_method_type_and_header_size(gh, upstream, limits_env):
    path = f"/{limits_env.org}/upload"
    before = _received(upstream)
    with gh.client("h2") as c:
        r = c.delete(path)
        assert_problem(r, 405, "method-not-allowed")
        assert r.headers["allow"] == "GET, POST"
        doc = assert_problem(c.post(path, content=b"<a/>", headers={"Content-Type": "application/xml"}), 415,
                             "unsupported-media-type")
        assert "application/json" in doc["detail"], doc
        assert_problem(c.get(path, headers={"X-Padding": "p" * 3000}), 431, "headers-too-large")
        assert _function_calls_since(upstream, before) == 0, "a refused request reached the function"
        check(c.post(path, content=b'{"ok":true}', headers={"Content-Type": "application/json; charset=utf-8"}), 200)
        check(c.post(path, content=b"hi", headers={"Content-Type": "text/plain"}), 200)
        # A body under the route's own limit on another route: only the org-wide rule applies there.
        check(c.post(f"/{limits_env.org}/other", content=b"x" * 500, headers={"Content-Type": "text/plain"}), 200)


@pytest.mark.parametrize("transport", ["h2", "h1"])
@pytest.mark.parametrize("framing", ["content-length", "streamed"])
def test_request_limits_refuse_a_body_over_the_route_limit(gh, limits_env, transport, framing):
    host, port = _host_port(gh.public_addr)
    path = f"/{limits_env.org}/upload"
    headers = [("content-type", "application/json")]
    body = b"[" + b"1," * 100 + b"1]"  # 203 bytes, over the route's 100
    if transport == "h2":
        r = h2_request(host, port, method="POST", path=path, headers=headers, body=body, tls_ca=gh.ca,
                       content_length=framing == "content-length")
    else:
        r = http1_request(host, port, method="POST", target=path, headers=headers, body=body, tls_ca=gh.ca,
                          chunked=framing == "streamed")
    doc = assert_problem(r, 413, "payload-too-large")
    assert "100 bytes" in doc["detail"], doc


# --- rate limits -----------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after_and_ratelimit_fields(gh, upstream):
    org = _org(gh, upstream, {"r": {"paths": ["/r"]}})
    _policy(gh, org, {"rateLimits": [{"name": "slow", "requests": 3, "periodSeconds": 60, "key": "client-ip"}]})
    with gh.client("h2") as c:
        for remaining in (2, 1, 0):
            r = check(c.get(f"/{org}/r"), 200)
            assert r.headers["x-upstream"] == "echo"
            assert r.headers["ratelimit-limit"] == "3"
            assert r.headers["ratelimit-remaining"] == str(remaining)
            assert 1 <= int(r.headers["ratelimit-reset"]) <= 60
        before = _received(upstream)
        r = c.get(f"/{org}/r")
        doc = assert_problem(r, 429, "rate-limited")
        assert "slow" in doc["detail"], doc
        # One request is earned back every 20 s.
        assert 1 <= int(r.headers["retry-after"]) <= 20
        assert r.headers["ratelimit-limit"] == "3" and r.headers["ratelimit-remaining"] == "0"
        assert int(r.headers["ratelimit-reset"]) >= int(r.headers["retry-after"])
        assert _function_calls_since(upstream, before) == 0, "a refused request reached the function"


def test_api_key_rate_limits_count_each_key_and_skip_other_callers(gh, upstream):
    org = _org(gh, upstream, {"keys": {"paths": ["/keys"], "auth": {"mode": "api-key"}}, "open": {"paths": ["/open"]}})
    keys = []
    for name in ("one", "two"):
        created = check(gh.api("POST", f"/v1/orgs/{org}/api-keys", {"name": name}), 201).json()
        keys.append(created["key"])
    _policy(gh, org, {"rateLimits": [{"name": "per-key", "requests": 2, "periodSeconds": 60, "key": "api-key"}]})
    with gh.client("h2") as c:
        for _ in range(2):
            check(c.get(f"/{org}/keys", headers={"X-Api-Key": keys[0]}), 200)
        assert_problem(c.get(f"/{org}/keys", headers={"X-Api-Key": keys[0]}), 429, "rate-limited")
        # Another key has its own bucket.
        r = check(c.get(f"/{org}/keys", headers={"X-Api-Key": keys[1]}), 200)
        assert r.headers["ratelimit-remaining"] == "1"
        # A caller without an API key is not counted by an api-key rule.
        for _ in range(4):
            r = check(c.get(f"/{org}/open"), 200)
            assert "ratelimit-limit" not in r.headers


def test_rate_limit_accuracy_under_concurrent_clients(gh, upstream):
    """100 requests/s, burst 20, one bucket for the org, four clients as fast as they can for
    10 s: GCRA lets through at most burst + rate × elapsed; the clients keep it saturated, so
    at least rate × elapsed pass too."""
    rate, burst, seconds, clients = 100, 20, 10.0, 4
    org = _org(gh, upstream, {"a": {"paths": ["/a"]}, "b": {"paths": ["/b"]}})
    _policy(gh, org, {"rateLimits": [{"name": "org", "requests": rate, "periodSeconds": 1, "burst": burst, "key": "org"}]})
    counts = {"accepted": 0, "refused": 0, "other": 0}
    lock = threading.Lock()
    start = threading.Barrier(clients)
    spans: list[tuple[float, float]] = []

    def hammer(index: int) -> None:
        path = f"/{org}/{'ab'[index % 2]}"  # the org's bucket is shared by its routes
        local = {"accepted": 0, "refused": 0, "other": 0}
        with gh.client("h2") as c:
            c.get("/healthz")  # connect before the clock starts
            start.wait()
            first = time.monotonic()
            deadline = first + seconds
            last = first
            while time.monotonic() < deadline:
                last = time.monotonic()
                status = c.get(path).status_code
                local["accepted" if status == 200 else "refused" if status == 429 else "other"] += 1
        with lock:
            for k, v in local.items():
                counts[k] += v
            spans.append((first, last))

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    elapsed = max(s[1] for s in spans) - min(s[0] for s in spans)
    print(f"\naccepted {counts['accepted']}, refused {counts['refused']}, other {counts['other']}, "
          f"over {elapsed:.3f} s of sending")
    assert counts["other"] == 0, counts
    # The lower bound means something only if the clients offered well over the limit the whole
    # time (a debug build and Python clients on two cores manage about 150-250 requests/s).
    offered = counts["accepted"] + counts["refused"]
    assert offered > 1.2 * (rate * seconds + burst), f"the clients could not offer enough load: {counts}"
    assert counts["accepted"] >= rate * seconds, counts
    # Upper bound: burst + rate × (time between the first and the last request's arrival). The
    # last request may be sent up to one round trip after the 10 s mark and the first one's
    # arrival lags its send by up to one round trip too, so the arrivals can span a little more
    # than `seconds`: allow 0.05 s of rate (5 requests) for it, plus 1 for GCRA admitting at
    # both ends of the span.
    assert counts["accepted"] <= rate * seconds + burst + 5 + 1, counts


# --- quotas ----------------------------------------------------------------------------------


def test_quotas_count_per_caller_or_org_and_answer_quota_exceeded(gh, upstream):
    org = _org(gh, upstream, {"keys": {"paths": ["/keys"], "auth": {"mode": "api-key"}}, "open": {"paths": ["/open"]}})
    keys = [check(gh.api("POST", f"/v1/orgs/{org}/api-keys", {"name": n}), 201).json()["key"] for n in ("one", "two")]
    _policy(gh, org, {"quotas": [
        {"name": "per-caller", "requests": 2, "period": "day", "key": "principal", "routes": ["keys"]},
        {"name": "whole-org", "requests": 5, "period": "month", "key": "org"}]})
    with gh.client("h2") as c:
        for _ in range(2):
            check(c.get(f"/{org}/keys", headers={"X-Api-Key": keys[0]}), 200)
        before = _received(upstream)
        r = c.get(f"/{org}/keys", headers={"X-Api-Key": keys[0]})
        doc = assert_problem(r, 429, "quota-exceeded")
        assert "per-caller" in doc["detail"] and "daily" in doc["detail"], doc
        assert 1 <= int(r.headers["retry-after"]) <= 86_400
        assert _function_calls_since(upstream, before) == 0, "a request over quota reached the function"
        # The other key has its own daily count; both count toward the org's monthly 5.
        check(c.get(f"/{org}/keys", headers={"X-Api-Key": keys[1]}), 200)
        check(c.get(f"/{org}/open"), 200)
        check(c.get(f"/{org}/open"), 200)
        doc = assert_problem(c.get(f"/{org}/open"), 429, "quota-exceeded")
        assert "whole-org" in doc["detail"] and "monthly" in doc["detail"], doc
        # A refused request used no quota: the other key's second daily request is refused by the org's.
        assert_problem(c.get(f"/{org}/keys", headers={"X-Api-Key": keys[1]}), 429, "quota-exceeded")


def test_quota_counts_survive_a_restart_and_a_crash(gatehouse_factory, upstream):
    gh = gatehouse_factory(name="gatehouse-quota")
    org = _org(gh, upstream, {"r": {"paths": ["/r"]}})
    _policy(gh, org, {"quotas": [{"name": "daily", "requests": 6, "period": "day", "key": "org"}]})

    def spend(n: int) -> None:
        with gh.client("h2") as c:
            for _ in range(n):
                check(c.get(f"/{org}/r"), 200)

    spend(2)
    assert gh.terminate(timeout=20) == 0  # a clean stop saves what was counted
    gh.start()
    spend(2)
    time.sleep(2.5)  # counts are saved every second: after a crash at most that much is lost
    gh.kill9()
    gh.start()
    spend(2)
    with gh.client("h2") as c:
        assert_problem(c.get(f"/{org}/r"), 429, "quota-exceeded")


# --- invoke permission -----------------------------------------------------------------------


def test_a_route_may_require_functions_invoke_from_the_orgs_policies(gh, upstream):
    org = _org(gh, upstream, {"guarded": {"paths": ["/guarded"], "auth": {"accept": ["api-key"], "requireInvokePermission": True}},
                              "plain": {"paths": ["/plain"], "auth": {"accept": ["api-key"]}}})
    keys = {n: check(gh.api("POST", f"/v1/orgs/{org}/api-keys", {"name": n}), 201).json()["key"] for n in ("caller", "other")}
    with gh.client("h2") as c:
        # No policy yet: no one holds functions:invoke.
        before = _received(upstream)
        doc = assert_problem(c.get(f"/{org}/guarded", headers={"X-Api-Key": keys["caller"]}), 403, "forbidden")
        assert "functions:invoke" in doc["detail"], doc
        assert _function_calls_since(upstream, before) == 0
        _policy(gh, org, {"bindings": [{"role": "invoker", "subjects": ["api-key:caller"]}]})
        check(c.get(f"/{org}/guarded", headers={"X-Api-Key": keys["caller"]}), 200)
        assert_problem(c.get(f"/{org}/guarded", headers={"X-Api-Key": keys["other"]}), 403, "forbidden")
        # A route that does not ask lets any authenticated caller through, as before.
        check(c.get(f"/{org}/plain", headers={"X-Api-Key": keys["other"]}), 200)
    # Only with an authenticated method: on a route anyone may call it would mean nothing.
    problem = assert_problem(gh.api("PUT", f"/v1/orgs/{org}/routes/open", {
        "function": "fn", "paths": ["/open"], "auth": {"mode": "none", "requireInvokePermission": True}}), 400)
    assert problem["field"] == "auth.requireInvokePermission", problem
