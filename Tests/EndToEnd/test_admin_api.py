"""The admin API's conventions (docs/admin-api.md) against the real server: authentication,
CRUD, validation, concurrency control, pagination, conflicts, secrets, problems."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime
from urllib.parse import urlencode

import pytest

from harness import NAME_RULE_WORDS, assert_problem, check, http1_request, uniq

URL = "http://127.0.0.1:9/"  # functions that are never called


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


@pytest.fixture
def org(gh):
    return gh.create_org()


def etag(r) -> str:
    return r.headers.get("etag", "")


def assert_resource_meta(doc: dict, org: str | None = None) -> None:
    assert isinstance(doc.get("revision"), int) and doc["revision"] > 0, doc
    for key in ("createdAt", "updatedAt"):
        assert isinstance(doc.get(key), str), doc
        datetime.fromisoformat(doc[key].replace("Z", "+00:00"))  # RFC 3339
    if org is not None:
        assert doc.get("org") == org, doc


def list_all(gh, path: str, limit: int = 1000) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        query = urlencode({"limit": limit, **({"cursor": cursor} if cursor else {})})
        doc = check(gh.api("GET", f"{path}?{query}"), 200).json()
        items += doc["items"]
        pages += 1
        assert pages < 100, "pagination does not end"
        cursor = doc.get("nextCursor")
        if not cursor:
            return items


# --- authentication ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-the-token", "Bearer", "Basic YWRtaW46YWRtaW4=", "not-even-a-scheme"]
)
def test_missing_or_wrong_token_is_401_with_www_authenticate(gh, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    r = gh.api("GET", "/v1/orgs", auth=False, headers=headers)
    assert_problem(r, 401)
    challenge = r.headers.get("www-authenticate", "")
    assert challenge.startswith("Bearer"), challenge
    assert 'realm="gatehouse"' in challenge, challenge


def test_unauthenticated_write_changes_nothing(gh):
    name = uniq("noauth")
    assert_problem(gh.api("POST", "/v1/orgs", {"name": name}, auth=False), 401)
    assert_problem(gh.api("PUT", f"/v1/orgs/{name}", {"name": name}, token="wrong"), 401)
    assert_problem(gh.api("GET", f"/v1/orgs/{name}"), 404)


def test_openapi_document_is_public_and_openapi_3_1(gh):
    r = gh.api("GET", "/v1/openapi.json", auth=False)
    check(r, 200)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    doc = r.json()
    assert re.fullmatch(r"3\.1\.\d+", doc.get("openapi", "")), doc.get("openapi")
    assert doc.get("info", {}).get("title"), "info.title is required by OpenAPI"
    shapes = {re.sub(r"\{[^}]+\}", "{}", p) for p in doc.get("paths", {})}
    for path in ("/v1/orgs", "/v1/orgs/{}", "/v1/orgs/{}/functions", "/v1/orgs/{}/functions/{}",
                 "/v1/orgs/{}/routes", "/v1/orgs/{}/routes/{}", "/v1/orgs/{}/secrets", "/v1/orgs/{}/secrets/{}",
                 "/v1/orgs/{}/identity-providers", "/v1/orgs/{}/identity-providers/{}",
                 "/v1/orgs/{}/service-accounts", "/v1/orgs/{}/service-accounts/{}",
                 "/v1/orgs/{}/api-keys", "/v1/orgs/{}/api-keys/{}"):
        assert path in shapes, f"openapi.json has no {path}: {sorted(shapes)}"


# --- orgs: CRUD and conventions ------------------------------------------------------------------------


def test_org_crud(gh):
    name = uniq("crud")
    r = check(gh.api("POST", "/v1/orgs", {"name": name, "displayName": "Acme Corp"}), 201)
    doc = r.json()
    assert doc["name"] == name and doc["displayName"] == "Acme Corp", doc
    assert_resource_meta(doc)
    rev = doc["revision"]
    assert etag(r) == f'"{rev}"'
    assert r.headers.get("location", "").endswith(f"/v1/orgs/{name}"), r.headers

    r = check(gh.api("GET", f"/v1/orgs/{name}"), 200)
    assert r.json()["displayName"] == "Acme Corp" and r.json()["revision"] == rev
    assert etag(r) == f'"{rev}"'
    assert name in [o["name"] for o in list_all(gh, "/v1/orgs")]

    r = check(gh.api("PUT", f"/v1/orgs/{name}", {"name": name, "displayName": "Acme 2"}), 200)
    updated = r.json()
    assert updated["displayName"] == "Acme 2"
    assert updated["revision"] > rev
    assert updated["createdAt"] == doc["createdAt"]
    assert etag(r) == f'"{updated["revision"]}"'
    assert check(gh.api("GET", f"/v1/orgs/{name}"), 200).json()["displayName"] == "Acme 2"

    assert check(gh.api("DELETE", f"/v1/orgs/{name}"), 204).content == b""
    assert_problem(gh.api("GET", f"/v1/orgs/{name}"), 404)
    assert_problem(gh.api("DELETE", f"/v1/orgs/{name}"), 404)
    assert name not in [o["name"] for o in list_all(gh, "/v1/orgs")]


def test_put_creates_then_replaces_and_name_may_be_omitted(gh):
    name = uniq("put")
    r = check(gh.api("PUT", f"/v1/orgs/{name}", {"displayName": "one"}), 201)
    assert r.json()["name"] == name
    assert etag(r) == f'"{r.json()["revision"]}"'
    r = check(gh.api("PUT", f"/v1/orgs/{name}", {"name": name, "displayName": "two"}), 200)
    assert r.json()["displayName"] == "two"


def test_put_body_name_must_match_path(gh):
    name = uniq("mismatch")
    assert_problem(gh.api("PUT", f"/v1/orgs/{name}", {"name": uniq("other")}), 400, field="name")
    assert_problem(gh.api("GET", f"/v1/orgs/{name}"), 404)


def test_a_document_read_with_get_can_be_put_back(gh, org):
    doc = check(gh.api("GET", f"/v1/orgs/{org}"), 200).json()
    r = check(gh.api("PUT", f"/v1/orgs/{org}", doc), 200)
    assert r.json()["revision"] >= doc["revision"]
    gh.create_function(org, "fn", URL)
    fdoc = check(gh.api("GET", f"/v1/orgs/{org}/functions/fn"), 200).json()
    check(gh.api("PUT", f"/v1/orgs/{org}/functions/fn", fdoc), 200)


def test_post_of_an_existing_name_is_409(gh, org):
    r = gh.api("POST", "/v1/orgs", {"name": org})
    assert_problem(r, 409)
    gh.create_function(org, "fn", URL)
    assert_problem(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", "runtime": "http", "http": {"url": URL}}), 409)


@pytest.mark.parametrize("bad", ["Acme", "-a", "a-", "a_b", "a" * 64, "", "a.b", "a b", "ä"])
def test_bad_names_are_400_naming_the_rule(gh, bad):
    doc = assert_problem(gh.api("POST", "/v1/orgs", {"name": bad}), 400, field="name")
    assert NAME_RULE_WORDS in doc["detail"].lower(), doc


def test_bad_resource_names_inside_an_org(gh, org):
    doc = assert_problem(
        gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "Bad_Name", "runtime": "http", "http": {"url": URL}}),
        400, field="name")
    assert NAME_RULE_WORDS in doc["detail"].lower(), doc


def test_63_character_name_is_fine(gh):
    name = ("n" + uuid.uuid4().hex * 2)[:63]
    assert len(name) == 63
    check(gh.api("POST", "/v1/orgs", {"name": name}), 201)


def test_unknown_top_level_field_is_400_naming_it(gh):
    name = uniq("unknown")
    doc = assert_problem(gh.api("POST", "/v1/orgs", {"name": name, "colour": "red"}), 400,
                         slug="unknown-field", field="colour")
    assert "colour" in doc["detail"]
    assert_problem(gh.api("GET", f"/v1/orgs/{name}"), 404)


def test_unknown_nested_field_is_400_naming_its_path(gh, org):
    body = {"name": "fn", "runtime": "http", "http": {"url": URL, "urll": URL}}
    doc = assert_problem(gh.api("POST", f"/v1/orgs/{org}/functions", body), 400,
                         slug="unknown-field", field="http.urll")
    assert "http.urll" in doc["detail"]


@pytest.mark.parametrize("body", ['{"name": ', "not json", "", '{"name": "x"} trailing'])
def test_malformed_json_is_400_problem(gh, body):
    r = gh.api("POST", "/v1/orgs", content=body, headers={"Content-Type": "application/json"})
    assert_problem(r, 400)


@pytest.mark.parametrize("body", ["[1, 2]", '"a string"', "42", "null"])
def test_json_that_is_not_an_object_is_400(gh, body):
    assert_problem(gh.api("POST", "/v1/orgs", content=body, headers={"Content-Type": "application/json"}), 400)


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_wrong_content_type_is_415(gh, ctype):
    name = uniq("ctype")
    r = gh.api("POST", "/v1/orgs", content=json.dumps({"name": name}), headers={"Content-Type": ctype})
    assert_problem(r, 415)
    assert_problem(gh.api("GET", f"/v1/orgs/{name}"), 404)


def test_json_with_charset_parameter_is_accepted(gh):
    name = uniq("charset")
    r = gh.api("POST", "/v1/orgs", content=json.dumps({"name": name}),
               headers={"Content-Type": "application/json; charset=utf-8"})
    check(r, 201)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_1_mib_is_413(gh, chunked):
    name = uniq("huge")
    body = json.dumps({"name": name, "displayName": "x" * (1024 * 1024 + 100)}).encode()
    host, port = gh.admin_addr.rsplit(":", 1)
    r = http1_request(
        host, int(port), method="POST", target="/v1/orgs", tls_ca=gh.ca, body=body, chunked=chunked,
        headers=[("Authorization", f"Bearer {gh.token}"), ("Content-Type", "application/json")],
    )
    assert_problem(r, 413)
    assert_problem(gh.api("GET", f"/v1/orgs/{name}"), 404)


@pytest.mark.parametrize("template,field,pointer", [
    ('{"name":"%s","displayName":"a","displayName":"b"}', "displayName", "/displayName"),
    ('{"name":"%s","name":"other"}', "name", "/name"),
])
def test_a_member_given_twice_is_400_naming_it(gh, template, field, pointer):
    name = uniq("dup")
    r = gh.api("POST", "/v1/orgs", content=template % name, headers={"Content-Type": "application/json"})
    doc = assert_problem(r, 400, slug="invalid-field", field=field)
    assert doc["errors"] == [{"pointer": pointer, "message": doc["detail"]}], doc
    assert_problem(gh.api("GET", f"/v1/orgs/{name}"), 404)
    # PUT, where the path names the resource, reads the body as strictly.
    r = gh.api("PUT", f"/v1/orgs/{name}", content=template % name, headers={"Content-Type": "application/json"})
    assert_problem(r, 400, slug="invalid-field", field=field)
    assert_problem(gh.api("GET", f"/v1/orgs/{name}"), 404)


def test_two_auth_accepts_cannot_make_a_route_public(gh, org):
    check(gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", "runtime": "http", "http": {"url": URL}}), 201)
    body = ('{"name":"rt","function":"fn","paths":["/dup"],'
            '"auth":{"mode":"api-key","accept":["api-key"],"accept":["none"]}}')
    r = gh.api("POST", f"/v1/orgs/{org}/routes", content=body, headers={"Content-Type": "application/json"})
    doc = assert_problem(r, 400, slug="invalid-field", field="auth.accept")
    assert doc["errors"][0]["pointer"] == "/auth/accept"
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/routes/rt"), 404)


@pytest.mark.parametrize("body", [
    '{"name":"%s",}', '{"name":"%s","displayName":"x",}', '\ufeff{"name":"%s"}', '{"name":"%s"}\n,',
], ids=["trailing-comma", "trailing-comma-after-member", "byte-order-mark", "comma-after-document"])
def test_lax_json_is_400(gh, body):
    name = uniq("lax")
    r = gh.api("POST", "/v1/orgs", content=(body % name).encode(), headers={"Content-Type": "application/json"})
    assert_problem(r, 400, slug="malformed-json")
    assert_problem(gh.api("GET", f"/v1/orgs/{name}"), 404)


def test_a_nul_in_a_string_is_400_naming_the_field(gh):
    name = uniq("nul")
    r = gh.api("POST", "/v1/orgs", content='{"name":"%s","displayName":"Ac\\u0000me"}' % name,
               headers={"Content-Type": "application/json"})
    assert_problem(r, 400, slug="invalid-field", field="displayName")
    assert_problem(gh.api("GET", f"/v1/orgs/{name}"), 404)


def test_a_100k_character_path_is_a_problem_not_a_bare_400(gh):
    host, port = gh.admin_addr.rsplit(":", 1)
    r = http1_request(host, int(port), target="/v1/orgs/" + "a" * 100_000, tls_ca=gh.ca,
                      headers=[("Authorization", f"Bearer {gh.token}")])
    doc = assert_problem(r, 400, slug="bad-request")
    assert "80 KiB" in doc["detail"], doc
    assert r.headers.get("x-request-id") == doc["requestId"]
    # The listener still serves the next connection.
    check(gh.api("GET", "/v1/orgs"), 200)


# --- optimistic concurrency -------------------------------------------------------------------------


def test_if_match_makes_writes_conditional(gh, org):
    rev1 = check(gh.api("GET", f"/v1/orgs/{org}"), 200).json()["revision"]
    rev2 = check(gh.api("PUT", f"/v1/orgs/{org}", {"displayName": "second"}), 200).json()["revision"]
    assert rev2 > rev1

    r = gh.api("PUT", f"/v1/orgs/{org}", {"displayName": "stale"}, headers={"If-Match": f'"{rev1}"'})
    assert_problem(r, 412)
    assert check(gh.api("GET", f"/v1/orgs/{org}"), 200).json()["displayName"] == "second"

    r = check(gh.api("PUT", f"/v1/orgs/{org}", {"displayName": "third"}, headers={"If-Match": f'"{rev2}"'}), 200)
    rev3 = r.json()["revision"]
    assert rev3 > rev2 and etag(r) == f'"{rev3}"'

    assert_problem(gh.api("DELETE", f"/v1/orgs/{org}", headers={"If-Match": f'"{rev2}"'}), 412)
    check(gh.api("GET", f"/v1/orgs/{org}"), 200)
    check(gh.api("DELETE", f"/v1/orgs/{org}", headers={"If-Match": f'"{rev3}"'}), 204)


def test_if_none_match_star_is_create_only(gh, org):
    assert_problem(gh.api("PUT", f"/v1/orgs/{org}", {"displayName": "x"}, headers={"If-None-Match": "*"}), 412)
    fresh = uniq("inm")
    check(gh.api("PUT", f"/v1/orgs/{fresh}", {"displayName": "x"}, headers={"If-None-Match": "*"}), 201)


def test_revisions_increase_store_wide(gh):
    a = check(gh.api("POST", "/v1/orgs", {"name": uniq("rev")}), 201).json()["revision"]
    b = check(gh.api("POST", "/v1/orgs", {"name": uniq("rev")}), 201).json()["revision"]
    assert b > a


# --- pagination -----------------------------------------------------------------------------------


def test_cursor_pagination_walks_every_item_once_in_name_order(gh, org):
    names = [f"f{i}-{uuid.uuid4().hex[:6]}" for i in range(7)]
    for n in names:
        gh.create_function(org, n, URL)
    seen, sizes, cursor = [], [], None
    for _ in range(10):
        query = urlencode({"limit": 3, **({"cursor": cursor} if cursor else {})})
        r = check(gh.api("GET", f"/v1/orgs/{org}/functions?{query}"), 200)
        doc = r.json()
        sizes.append(len(doc["items"]))
        seen += [item["name"] for item in doc["items"]]
        for item in doc["items"]:
            assert item["org"] == org
        cursor = doc.get("nextCursor")
        if "nextCursor" not in doc:
            break
        assert isinstance(cursor, str) and cursor, f"nextCursor must be absent, not {cursor!r}, on the last page"
    assert sizes == [3, 3, 1], sizes
    assert seen == sorted(names), seen
    assert len(set(seen)) == len(seen)


def test_default_page_lists_everything_under_100(gh, org):
    for i in range(3):
        gh.create_function(org, f"fn{i}", URL)
    doc = check(gh.api("GET", f"/v1/orgs/{org}/functions"), 200).json()
    assert [i["name"] for i in doc["items"]] == ["fn0", "fn1", "fn2"]
    assert "nextCursor" not in doc


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "abc"])
def test_limit_out_of_range_is_400(gh, org, limit):
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/functions?limit={limit}"), 400)


# --- functions ------------------------------------------------------------------------------------------


def test_function_crud(gh, org):
    r = check(gh.api("POST", f"/v1/orgs/{org}/functions",
                     {"name": "hello", "runtime": "http", "http": {"url": URL}, "timeoutMs": 1500}), 201)
    doc = r.json()
    assert_resource_meta(doc, org)
    assert doc["runtime"] == "http" and doc["http"]["url"] == URL and doc["timeoutMs"] == 1500, doc
    assert etag(r) == f'"{doc["revision"]}"'
    assert r.headers.get("location", "").endswith(f"/v1/orgs/{org}/functions/hello")
    r = check(gh.api("PUT", f"/v1/orgs/{org}/functions/hello",
                     {"runtime": "http", "http": {"url": "http://127.0.0.1:9/v2"}}), 200)
    assert r.json()["http"]["url"] == "http://127.0.0.1:9/v2"
    check(gh.api("DELETE", f"/v1/orgs/{org}/functions/hello"), 204)
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/functions/hello"), 404)


@pytest.mark.parametrize("url", [
    "ftp://127.0.0.1/x", "not a url", "http://127.0.0.1:9/p?q=1", "/relative/path", "http://", "",
    "http://127.0.0.1:99999/",
])
def test_function_with_a_bad_url_is_400(gh, org, url):
    r = gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", "runtime": "http", "http": {"url": url}})
    assert_problem(r, 400, field="http.url")


@pytest.mark.parametrize("timeout", [0, -5, 900001])
def test_function_timeout_out_of_range_is_400(gh, org, timeout):
    r = gh.api("POST", f"/v1/orgs/{org}/functions",
               {"name": "fn", "runtime": "http", "http": {"url": URL}, "timeoutMs": timeout})
    assert_problem(r, 400, field="timeoutMs")


@pytest.mark.parametrize("timeout", [1, 900000])
def test_function_timeout_bounds_are_accepted(gh, org, timeout):
    r = gh.api("POST", f"/v1/orgs/{org}/functions",
               {"name": "fn", "runtime": "http", "http": {"url": URL}, "timeoutMs": timeout})
    assert check(r, 201).json()["timeoutMs"] == timeout


def test_function_with_unknown_runtime_is_400(gh, org):
    r = gh.api("POST", f"/v1/orgs/{org}/functions", {"name": "fn", "runtime": "cobol", "http": {"url": URL}})
    assert_problem(r, 400)


# --- routes ---------------------------------------------------------------------------------------------


def test_route_crud(gh, org):
    gh.create_function(org, "fn", URL)
    body = {"name": "hello", "function": "fn", "paths": ["/hello", "/items/{id}", "/static/*"],
            "methods": ["GET", "POST"], "auth": {"mode": "none"}}
    r = check(gh.api("POST", f"/v1/orgs/{org}/routes", body), 201)
    doc = r.json()
    assert_resource_meta(doc, org)
    assert doc["function"] == "fn" and doc["paths"] == body["paths"] and sorted(doc["methods"]) == ["GET", "POST"]
    assert etag(r) == f'"{doc["revision"]}"'
    check(gh.api("GET", f"/v1/orgs/{org}/routes/hello"), 200)
    check(gh.api("DELETE", f"/v1/orgs/{org}/routes/hello"), 204)
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/routes/hello"), 404)


def test_route_referencing_a_missing_function_is_400(gh, org):
    r = gh.api("POST", f"/v1/orgs/{org}/routes", {"name": "r", "function": "nope", "paths": ["/x"]})
    assert_problem(r, 400, field="function")


def test_route_cannot_use_another_orgs_function(gh, org):
    other = gh.create_org()
    gh.create_function(other, "theirs", URL)
    r = gh.api("POST", f"/v1/orgs/{org}/routes", {"name": "r", "function": "theirs", "paths": ["/x"]})
    assert_problem(r, 400, field="function")
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/functions/theirs"), 404)


@pytest.mark.parametrize("body,field", [
    ({"paths": []}, "paths"),
    ({"paths": ["no-slash"]}, "paths[0]"),
    ({"paths": ["/ok", "/a/*/b"]}, "paths[1]"),
    ({"paths": ["/x"], "methods": ["FETCH"]}, "methods[0]"),
    ({"paths": ["/x"], "hosts": ["bad host!"]}, "hosts[0]"),
])
def test_route_validation(gh, org, body, field):
    gh.create_function(org, "fn", URL)
    assert_problem(gh.api("POST", f"/v1/orgs/{org}/routes", {"name": "r", "function": "fn", **body}), 400, field=field)


def test_overlapping_routes_are_409_naming_the_other(gh, org):
    gh.create_function(org, "fn", URL)
    gh.create_route(org, "first", "fn", ["/items/{id}"], methods=["GET"])
    r = gh.api("POST", f"/v1/orgs/{org}/routes", {"name": "second", "function": "fn", "paths": ["/items/{name}"]})
    doc = assert_problem(r, 409)
    assert doc.get("conflictsWith") == "first", doc
    # Disjoint methods do not tie.
    gh.create_route(org, "third", "fn", ["/items/{x}"], methods=["DELETE"])


def test_specific_path_beside_a_general_one_is_fine(gh, org):
    gh.create_function(org, "fn", URL)
    gh.create_route(org, "by-id", "fn", ["/items/{id}"])
    gh.create_route(org, "new", "fn", ["/items/new"])


def test_a_host_belongs_to_one_org(gh, org):
    host = f"{uniq('h')}.test.local"
    gh.create_function(org, "fn", URL)
    gh.create_route(org, "r1", "fn", ["/a"], hosts=[host])
    gh.create_route(org, "r2", "fn", ["/b"], hosts=[host])  # the same org may use it again
    other = gh.create_org()
    gh.create_function(other, "fn", URL)
    r = gh.api("POST", f"/v1/orgs/{other}/routes", {"name": "r", "function": "fn", "paths": ["/c"], "hosts": [host]})
    assert_problem(r, 409)
    r = gh.api("POST", f"/v1/orgs/{other}/routes",
               {"name": "r", "function": "fn", "paths": ["/c"], "hosts": [host.upper()]})
    assert_problem(r, 409)


def test_delete_function_used_by_a_route_is_409_naming_it(gh, org):
    gh.create_function(org, "fn", URL)
    gh.create_route(org, "uses-fn", "fn", ["/x"])
    doc = assert_problem(gh.api("DELETE", f"/v1/orgs/{org}/functions/fn"), 409)
    assert doc.get("conflictsWith") == "uses-fn" or "uses-fn" in doc["detail"], doc
    check(gh.api("GET", f"/v1/orgs/{org}/functions/fn"), 200)
    check(gh.api("DELETE", f"/v1/orgs/{org}/routes/uses-fn"), 204)
    check(gh.api("DELETE", f"/v1/orgs/{org}/functions/fn"), 204)


# --- secrets ----------------------------------------------------------------------------------------


def secret_value(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex}{uuid.uuid4().hex}"


def assert_no_values(r, values):
    raw = r.text + "\n" + "\n".join(f"{k}: {v}" for k, v in r.headers.items())
    for v in values:
        assert v not in raw, f"a secret value appears in the response to {r.request.method} {r.request.url}"


def test_secret_values_are_never_returned(gh, org):
    v = {"password": secret_value("pw"), "user": secret_value("user")}
    base = f"/v1/orgs/{org}/secrets"
    r = check(gh.api("POST", base, {"name": "db", "values": {"user": v["user"], "password": v["password"]}}), 201)
    assert_no_values(r, v.values())
    assert r.json()["keys"] == ["password", "user"] and "values" not in r.json(), r.json()
    assert_resource_meta(r.json(), org)

    for resp in (gh.api("GET", f"{base}/db"), gh.api("GET", base)):
        check(resp, 200)
        assert_no_values(resp, v.values())
    assert check(gh.api("GET", f"{base}/db"), 200).json()["keys"] == ["password", "user"]
    assert [s["keys"] for s in check(gh.api("GET", base), 200).json()["items"]] == [["password", "user"]]

    v2 = {"token": secret_value("tok"), "password": secret_value("pw2")}
    r = check(gh.api("PUT", f"{base}/db", {"name": "db", "values": v2}), 200)
    assert_no_values(r, [*v.values(), *v2.values()])
    assert r.json()["keys"] == ["password", "token"]

    bad = secret_value("bad")
    r = gh.api("POST", base, {"name": "bad", "values": {"not a key!": bad}})
    assert_problem(r, 400)
    assert_no_values(r, [bad])
    r = gh.api("PUT", f"{base}/db", {"name": "db", "values": {"ok": bad}, "surprise": 1})
    assert_problem(r, 400, field="surprise")
    assert_no_values(r, [bad])

    for resp in (gh.api("GET", f"{base}/db"), gh.api("GET", base)):
        assert_no_values(check(resp, 200), [*v.values(), *v2.values(), bad])


def test_secret_values_are_not_stored_in_plaintext(gh, org):
    value = secret_value("plain")
    check(gh.api("POST", f"/v1/orgs/{org}/secrets", {"name": "s", "values": {"k": value}}), 201)
    needles = [value.encode(), base64.b64encode(value.encode()), value.encode("utf-16-le")]
    files = [p for p in gh.data_dir.iterdir() if p.name.startswith("gatehouse.sqlite")]
    assert any(p.name == "gatehouse.sqlite" for p in files), files
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"a secret value is stored readable in {path.name}"


def test_secret_key_rules(gh, org):
    assert_problem(gh.api("POST", f"/v1/orgs/{org}/secrets", {"name": "s", "values": {"": "x"}}), 400)
    assert_problem(gh.api("POST", f"/v1/orgs/{org}/secrets", {"name": "s", "values": {"k" * 254: "x"}}), 400)
    check(gh.api("POST", f"/v1/orgs/{org}/secrets", {"name": "s", "values": {"A-b_c.d": "x"}}), 201)


# --- identity providers and route auth ----------------------------------------------------------------


ISSUER = "http://127.0.0.1:5556/dex"  # never contacted: the edge does not authenticate yet


def oidc_provider(secret: str | None = None, client_id: str = "gatehouse", **extra) -> dict:
    block = {"issuer": ISSUER, "clientId": client_id, **extra}
    if secret is not None:
        block["clientSecret"] = secret
    return {"type": "oidc", "oidc": block}


def test_identity_provider_crud_never_returns_the_client_secret(gh, org):
    secret = secret_value("cs")
    base = f"/v1/orgs/{org}/identity-providers"
    seen = []
    r = check(gh.api("POST", base, {"name": "corp", **oidc_provider(secret, audiences=["api://orders"])}), 201)
    seen.append(r)
    doc = r.json()
    assert_resource_meta(doc, org)
    assert doc["type"] == "oidc" and doc["oidc"]["clientSecretSet"] is True and "clientSecret" not in doc["oidc"], doc
    assert doc["oidc"]["audiences"] == ["api://orders"]
    assert etag(r) == f'"{doc["revision"]}"'
    assert r.headers.get("location", "").endswith(f"{base}/corp")

    seen += [check(gh.api("GET", f"{base}/corp"), 200), check(gh.api("GET", base), 200)]
    assert [p["name"] for p in seen[-1].json()["items"]] == ["corp"]

    # What GET returns can be edited and PUT back: the stored secret is kept.
    read = check(gh.api("GET", f"{base}/corp"), 200).json()
    read["oidc"]["scopes"] = ["openid", "offline_access"]
    r = check(gh.api("PUT", f"{base}/corp", read), 200)
    seen.append(r)
    assert r.json()["oidc"]["clientSecretSet"] is True and r.json()["oidc"]["scopes"] == ["openid", "offline_access"]

    # Another client without its secret is refused; with it, fine; "" removes it.
    assert_problem(gh.api("PUT", f"{base}/corp", oidc_provider(client_id="other")), 400, field="oidc.clientSecret")
    secret2 = secret_value("cs2")
    seen.append(check(gh.api("PUT", f"{base}/corp", oidc_provider(secret2, client_id="other")), 200))
    seen.append(gh.api("PUT", f"{base}/corp", {**oidc_provider(secret2), "surprise": 1}))
    assert_problem(seen[-1], 400, field="surprise")
    cleared = check(gh.api("PUT", f"{base}/corp", oidc_provider("", client_id="other")), 200)
    assert cleared.json()["oidc"]["clientSecretSet"] is False
    seen += [cleared, gh.api("GET", base), gh.api("GET", f"{base}/corp")]
    for resp in seen:
        assert_no_values(resp, [secret, secret2])

    check(gh.api("DELETE", f"{base}/corp"), 204)
    assert_problem(gh.api("GET", f"{base}/corp"), 404)
    assert_problem(gh.api("DELETE", f"{base}/corp"), 404)


def test_client_secrets_are_not_stored_in_plaintext(gh, org):
    value = secret_value("plain-cs")
    check(gh.api("POST", f"/v1/orgs/{org}/identity-providers",
                 {"name": "gh", "type": "github", "github": {"clientId": "Iv1.abc", "clientSecret": value}}), 201)
    needles = [value.encode(), base64.b64encode(value.encode()), value.encode("utf-16-le")]
    for path in (p for p in gh.data_dir.iterdir() if p.name.startswith("gatehouse.sqlite")):
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"a client secret is stored readable in {path.name}"


@pytest.mark.parametrize("body,field", [
    ({"type": "oidc"}, "oidc"),
    ({"type": "saml", "oidc": {"issuer": ISSUER, "clientId": "c"}}, "type"),
    ({"type": "github", "oidc": {"issuer": ISSUER, "clientId": "c"}}, "oidc"),
    ({"type": "oidc", "oidc": {"issuer": "http://id.example.com", "clientId": "c"}}, "oidc.issuer"),
    ({"type": "oidc", "oidc": {"issuer": "https://u:p@id.example.com", "clientId": "c"}}, "oidc.issuer"),
    ({"type": "oidc", "oidc": {"issuer": ISSUER, "clientId": "c", "scopes": ["email"]}}, "oidc.scopes"),
    ({"type": "oidc", "oidc": {"issuer": ISSUER, "clientId": "c", "audiences": [f"a{i}" for i in range(65)]}},
     "oidc.audiences"),
    ({"type": "azure-ad", "azureAd": {"tenant": "common", "clientId": "c"}}, "azureAd.tenant"),
    ({"type": "azure-ad", "azureAd": {"tenant": "contoso", "clientId": "c"}}, "azureAd.tenant"),
    ({"type": "github", "github": {"clientId": "c"}}, "github.clientSecret"),
    ({"type": "github", "github": {"clientId": "c", "clientSecret": "s", "tokenCacheSeconds": 7200}},
     "github.tokenCacheSeconds"),
    ({"type": "github", "github": {"clientId": "c", "clientSecret": "s", "allowedTeams": ["no-slash"]}},
     "github.allowedTeams[0]"),
    ({"type": "oidc", "oidc": {"issuer": ISSUER, "clientId": "c", "claims": {"roles": "r"}}}, "oidc.claims.roles"),
])
def test_identity_provider_validation(gh, org, body, field):
    r = gh.api("POST", f"/v1/orgs/{org}/identity-providers", {"name": "p", **body})
    assert_problem(r, 400, field=field)
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/identity-providers/p"), 404)


def test_gatehouse_is_a_reserved_provider_name(gh, org):
    r = gh.api("PUT", f"/v1/orgs/{org}/identity-providers/gatehouse", oidc_provider())
    assert_problem(r, 400, field="name")


def test_route_auth_names_existing_providers_which_cannot_then_be_deleted(gh, org):
    gh.create_function(org, "fn", URL)
    auth = {"accept": ["jwt", "api-key"], "providers": ["corp", "gatehouse"], "audiences": ["api://orders"],
            "scopes": ["orders:read"], "groups": ["eng"], "apiKeyHeader": "x-orders-key"}
    body = {"function": "fn", "paths": ["/orders"], "auth": auth}
    assert_problem(gh.api("PUT", f"/v1/orgs/{org}/routes/orders", body), 400, field="auth.providers[0]")

    check(gh.api("PUT", f"/v1/orgs/{org}/identity-providers/corp", oidc_provider()), 201)
    r = check(gh.api("PUT", f"/v1/orgs/{org}/routes/orders", body), 201)
    assert r.json()["auth"] == auth, r.json()
    assert check(gh.api("GET", f"/v1/orgs/{org}/routes/orders"), 200).json()["auth"] == auth

    doc = assert_problem(gh.api("DELETE", f"/v1/orgs/{org}/identity-providers/corp"), 409)
    assert doc.get("conflictsWith") == "orders", doc
    check(gh.api("GET", f"/v1/orgs/{org}/identity-providers/corp"), 200)
    assert_problem(gh.api("DELETE", f"/v1/orgs/{org}"), 409)  # it owns a provider, among others

    # A provider of another org does not count.
    other = gh.create_org()
    gh.create_function(other, "fn", URL)
    r = gh.api("PUT", f"/v1/orgs/{other}/routes/orders", {**body, "auth": {"accept": ["jwt"], "providers": ["corp"]}})
    assert_problem(r, 400, field="auth.providers[0]")

    check(gh.api("DELETE", f"/v1/orgs/{org}/routes/orders"), 204)
    check(gh.api("DELETE", f"/v1/orgs/{org}/identity-providers/corp"), 204)


def test_route_auth_shorthand_is_echoed_as_given(gh, org):
    gh.create_function(org, "fn", URL)
    for name, auth in (("old", {"mode": "none"}), ("session", {"mode": "session"}), ("open", {"accept": ["none"]})):
        r = check(gh.api("PUT", f"/v1/orgs/{org}/routes/{name}", {"function": "fn", "paths": [f"/{name}"], "auth": auth}), 201)
        assert r.json()["auth"] == auth, r.json()
    r = check(gh.api("PUT", f"/v1/orgs/{org}/routes/noauth", {"function": "fn", "paths": ["/noauth"]}), 201)
    assert "auth" not in r.json()


@pytest.mark.parametrize("auth,field", [
    ({"mode": "jwt", "accept": ["jwt"]}, "auth.mode"),
    ({"accept": ["none", "jwt"]}, "auth.accept"),
    ({"accept": []}, "auth.accept"),
    ({"accept": ["jwt", "basic"]}, "auth.accept[1]"),
    ({"mode": "oauth"}, "auth.mode"),
    ({"accept": ["api-key"], "providers": ["gatehouse"]}, "auth.providers"),
    ({"accept": ["session"], "audiences": ["a"]}, "auth.audiences"),
    ({"accept": ["jwt"], "apiKeyHeader": "x-key"}, "auth.apiKeyHeader"),
    ({"mode": "none", "scopes": ["a"]}, "auth.scopes"),
    ({"accept": ["api-key"], "apiKeyHeader": "X-Api-Key"}, "auth.apiKeyHeader"),
    ({"accept": ["api-key"], "apiKeyHeader": "authorization"}, "auth.apiKeyHeader"),
    ({"accept": ["jwt"], "groups": [f"g{i}" for i in range(65)]}, "auth.groups"),
    ({"accept": ["jwt"], "scopes": ["two words"]}, "auth.scopes[0]"),
    ({"accept": ["jwt"], "providers": ["Corp"]}, "auth.providers[0]"),
    ({"accept": ["jwt"], "provider": ["corp"]}, "auth.provider"),
])
def test_route_auth_validation(gh, org, auth, field):
    gh.create_function(org, "fn", URL)
    r = gh.api("POST", f"/v1/orgs/{org}/routes", {"name": "r", "function": "fn", "paths": ["/x"], "auth": auth})
    assert_problem(r, 400, field=field)


# --- service accounts ------------------------------------------------------------------------------


def public_pem(key) -> str:
    from cryptography.hazmat.primitives import serialization
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def ec_key():
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.generate_private_key(ec.SECP256R1())


def rsa_key(bits: int = 2048):
    from cryptography.hazmat.primitives.asymmetric import rsa
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def test_service_account_crud_derives_kind_and_fingerprint(gh, org):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    base = f"/v1/orgs/{org}/service-accounts"
    ec, ed = ec_key(), ed25519.Ed25519PrivateKey.generate()
    body = {"name": "ci", "description": "CI deploys", "publicKeys": [{"pem": public_pem(ec)}, {"pem": public_pem(ed)}]}
    r = check(gh.api("POST", base, body), 201)
    doc = r.json()
    assert_resource_meta(doc, org)
    assert r.headers.get("location", "").endswith(f"{base}/ci")
    assert [k["kind"] for k in doc["publicKeys"]] == ["ec-p256", "ed25519"], doc
    der = ec.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    assert doc["publicKeys"][0]["fingerprint"] == base64.urlsafe_b64encode(digest.finalize()).decode().rstrip("=")
    assert doc["publicKeys"][0]["pem"] == public_pem(ec)

    # GET -> PUT round-trips; the server's fields sent back are ignored and derived again.
    read = check(gh.api("GET", f"{base}/ci"), 200).json()
    read["publicKeys"][0]["fingerprint"] = "forged"
    put = check(gh.api("PUT", f"{base}/ci", read, headers={"If-Match": f'"{read["revision"]}"'}), 200).json()
    assert put["publicKeys"][0]["fingerprint"] == doc["publicKeys"][0]["fingerprint"]
    assert [a["name"] for a in list_all(gh, base)] == ["ci"]
    assert_problem(gh.api("DELETE", f"/v1/orgs/{org}"), 409)
    check(gh.api("DELETE", f"{base}/ci"), 204)
    assert_problem(gh.api("GET", f"{base}/ci"), 404)


def test_service_account_key_validation(gh, org):
    from cryptography.hazmat.primitives import serialization
    base = f"/v1/orgs/{org}/service-accounts"
    good = public_pem(ec_key())
    private = ec_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    cases = [
        ("not a pem", "not"),
        (private, "private"),
        (public_pem(rsa_key(1024)), "1024"),
    ]
    for pem, reason in cases:
        r = gh.api("POST", base, {"name": "sa", "publicKeys": [{"pem": good}, {"pem": pem}]})
        assert_problem(r, 400, field="publicKeys[1].pem")
        assert reason in r.json()["detail"].lower(), r.json()
    assert_problem(gh.api("POST", base, {"name": "sa", "publicKeys": [{"pem": good}, {"pem": good}]}), 400,
                   field="publicKeys[1].pem")
    assert_problem(gh.api("POST", base, {"name": "sa", "publicKeys": []}), 400, field="publicKeys")
    assert_problem(gh.api("POST", base, {"name": "sa"}), 400)
    assert list_all(gh, base) == []
    rsa = check(gh.api("POST", base, {"name": "sa", "publicKeys": [{"pem": public_pem(rsa_key())}]}), 201).json()
    assert rsa["publicKeys"][0]["kind"] == "rsa-2048"


# --- API keys ---------------------------------------------------------------------------------------


def test_api_key_is_shown_once_and_stored_only_hashed(gh, org):
    base = f"/v1/orgs/{org}/api-keys"
    r = check(gh.api("POST", base, {"name": "ci", "scopes": ["deploy"], "expiresAt": "2099-01-01T00:00:00Z"}), 201)
    doc = r.json()
    assert_resource_meta(doc, org)
    key = doc["key"]
    assert re.fullmatch(r"gak_[0-9a-f]{16}_[A-Za-z0-9_-]+", key), key
    assert key.startswith(f"gak_{doc['keyId']}_"), doc
    assert "keyHash" not in doc and doc["scopes"] == ["deploy"] and doc["expiresAt"] == "2099-01-01T00:00:00Z"
    assert "no-store" in r.headers.get("cache-control", "")

    later = [check(gh.api("GET", f"{base}/ci"), 200), check(gh.api("GET", base), 200)]
    read = later[0].json()
    later.append(check(gh.api("PUT", f"{base}/ci", read), 200))
    later.append(check(gh.api("PUT", f"{base}/ci", {**read, "revoked": True}), 200))
    for resp in later:
        assert key not in resp.text and key[21:] not in resp.text, resp.text
        assert '"key"' not in resp.text and "keyHash" not in resp.text, resp.text
    assert later[-1].json()["revoked"] is True and later[-1].json()["keyId"] == doc["keyId"]

    files = [p for p in gh.data_dir.iterdir() if p.name.startswith("gatehouse.sqlite")]
    for path in files:
        assert key.encode() not in path.read_bytes(), f"the API key is stored readable in {path.name}"

    check(gh.api("DELETE", f"{base}/ci"), 204)
    # Rotation is delete + create: a new key.
    again = check(gh.api("PUT", f"{base}/ci", {}), 201).json()
    assert again["key"] != key and again["keyId"] != doc["keyId"]


@pytest.mark.parametrize("body,field", [
    ({"key": "gak_0123456789abcdef_secret"}, "key"),
    ({"expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
    ({"scopes": ["has space"]}, "scopes[0]"),
    ({"scopes": ["a", "a"]}, "scopes[1]"),
    ({"description": ""}, "description"),
])
def test_api_key_validation(gh, org, body, field):
    assert_problem(gh.api("POST", f"/v1/orgs/{org}/api-keys", {"name": "k", **body}), 400, field=field)
    assert_problem(gh.api("GET", f"/v1/orgs/{org}/api-keys/k"), 404)


# --- deletion rules and scoping -----------------------------------------------------------------


def test_deleting_an_org_that_owns_resources_is_409(gh, org):
    gh.create_function(org, "fn", URL)
    gh.create_route(org, "rt", "fn", ["/x"])
    check(gh.api("POST", f"/v1/orgs/{org}/secrets", {"name": "s", "values": {"k": "v"}}), 201)
    assert_problem(gh.api("DELETE", f"/v1/orgs/{org}"), 409)
    check(gh.api("GET", f"/v1/orgs/{org}/functions/fn"), 200)
    check(gh.api("DELETE", f"/v1/orgs/{org}/routes/rt"), 204)
    assert_problem(gh.api("DELETE", f"/v1/orgs/{org}"), 409)
    check(gh.api("DELETE", f"/v1/orgs/{org}/functions/fn"), 204)
    assert_problem(gh.api("DELETE", f"/v1/orgs/{org}"), 409)  # the secret is still there
    check(gh.api("DELETE", f"/v1/orgs/{org}/secrets/s"), 204)
    check(gh.api("DELETE", f"/v1/orgs/{org}"), 204)
    assert_problem(gh.api("GET", f"/v1/orgs/{org}"), 404)


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/functions", None),
    ("GET", "/functions/fn", None),
    ("POST", "/functions", {"name": "fn", "runtime": "http", "http": {"url": URL}}),
    ("PUT", "/functions/fn", {"runtime": "http", "http": {"url": URL}}),
    ("GET", "/routes", None),
    ("POST", "/routes", {"name": "r", "function": "fn", "paths": ["/x"]}),
    ("GET", "/secrets", None),
    ("PUT", "/secrets/s", {"values": {"k": "v"}}),
    ("GET", "/identity-providers", None),
    ("PUT", "/identity-providers/corp", {"type": "oidc", "oidc": {"issuer": "https://x", "clientId": "c"}}),
])
def test_resources_of_a_missing_org_are_404(gh, method, path, body):
    missing = uniq("missing")
    assert_problem(gh.api(method, f"/v1/orgs/{missing}{path}", body), 404)
    assert_problem(gh.api("GET", f"/v1/orgs/{missing}"), 404)


def test_missing_item_is_404_problem(gh, org):
    for kind in ("functions", "routes", "secrets", "identity-providers"):
        assert_problem(gh.api("GET", f"/v1/orgs/{org}/{kind}/absent"), 404)
        assert_problem(gh.api("DELETE", f"/v1/orgs/{org}/{kind}/absent"), 404)


def test_one_orgs_resources_are_invisible_to_another(gh, org):
    other = gh.create_org()
    gh.create_function(org, "mine", URL)
    assert_problem(gh.api("GET", f"/v1/orgs/{other}/functions/mine"), 404)
    assert check(gh.api("GET", f"/v1/orgs/{other}/functions"), 200).json()["items"] == []
    # The same name in another org is a different resource.
    gh.create_function(other, "mine", "http://127.0.0.1:9/other")
    assert check(gh.api("GET", f"/v1/orgs/{org}/functions/mine"), 200).json()["http"]["url"] == URL


def test_problem_request_id_matches_response_header(gh):
    r = gh.api("GET", f"/v1/orgs/{uniq('nope')}")
    doc = assert_problem(r, 404)
    if "x-request-id" in r.headers:
        assert r.headers["x-request-id"] == doc["requestId"]
