"""The `gatehouse` CLI against a live server: every resource's commands, apply -f, output
formats, error exits, and that secret values never reach the terminal. The CLI finds the
server through the environment here (GATEHOUSE_SERVER / _TOKEN / _CACERT), as a script would."""

from __future__ import annotations

import json
import textwrap

import pytest

from harness import check, uniq


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


@pytest.fixture(scope="module")
def cli(gh, tmp_path_factory):
    return gh.cli(tmp_path_factory.mktemp("cli-home"))


def test_org_function_route_lifecycle_reaches_the_edge(gh, cli, upstream):
    org = uniq("cli")
    created = json.loads(cli("org", "create", org, "--display-name", "CLI Org", "-o", "json").stdout)
    assert created["name"] == org and created["displayName"] == "CLI Org" and created["revision"] > 0
    cli("function", "create", "echo", "--org", org, "--url", f"{upstream.url}/base", "--timeout-ms", "5000")
    cli("route", "create", "echo", "--org", org, "--function", "echo", "--path", "/items/{id}", "--method", "GET")

    listed = json.loads(cli("route", "list", "--org", org, "-o", "json").stdout)
    assert [r["name"] for r in listed] == ["echo"] and listed[0]["paths"] == ["/items/{id}"]
    table = cli("function", "list", "--org", org).stdout
    assert "echo" in table and f"{upstream.url}/base" in table, table

    with gh.client("h2") as client:
        r = check(client.get(f"/{org}/items/42"), 200)
    assert r.json()["path"] == "/base/items/42"
    assert r.json()["headers"]["x-gatehouse-param-id"] == "42"

    # update changes only what is given, conditionally on the revision it read
    before = json.loads(cli("function", "get", "echo", "--org", org, "-o", "json").stdout)
    after = json.loads(cli("function", "update", "echo", "--org", org, "--timeout-ms", "7000", "-o", "json").stdout)
    assert after["timeoutMs"] == 7000 and after["http"] == before["http"] and after["revision"] > before["revision"]

    # a function in use cannot go; the route first, then the function, then the org
    p = cli("function", "delete", "echo", "--org", org, expect=1)
    assert "route 'echo'" in p.stderr, p.stderr
    cli("route", "delete", "echo", "--org", org)
    cli("function", "delete", "echo", "--org", org)
    cli("org", "delete", org)
    assert cli("org", "get", org, expect=1).stderr.lower().count("not found") >= 1


def test_secret_values_never_reach_the_terminal(cli):
    org = uniq("clisec")
    cli("org", "create", org)
    value = "s3cret-" + uniq("v")
    outputs = []
    for fmt in ("table", "json", "yaml"):
        name = f"db-{fmt}"
        outputs.append(cli("secret", "create", name, "--org", org, "--value", f"password={value}", "--value", "user=app", "-o", fmt))
        outputs.append(cli("secret", "get", name, "--org", org, "-o", fmt))
    outputs.append(cli("secret", "list", "--org", org, "-o", "json"))
    for p in outputs:
        assert value not in p.stdout and value not in p.stderr
    shown = json.loads(cli("secret", "get", "db-json", "--org", org, "-o", "json").stdout)
    assert shown["keys"] == ["password", "user"] and "values" not in shown


def test_apply_creates_in_dependency_order_and_is_idempotent(gh, cli, upstream, tmp_path):
    org = uniq("apply")
    doc = textwrap.dedent(f"""\
        kind: route
        org: {org}
        name: hello
        function: hello
        paths: [/hello]
        ---
        kind: function
        org: {org}
        name: hello
        runtime: http
        http: {{url: "{upstream.url}/"}}
        ---
        kind: org
        name: {org}
        """)
    path = tmp_path / "config.yaml"
    path.write_text(doc)
    first = cli("apply", "-f", str(path))
    assert f"route {org}/hello" in first.stdout + first.stderr
    with gh.client("h1") as client:
        check(client.get(f"/{org}/hello"), 200)
    cli("apply", "-f", "-", input=doc)  # stdin, and a second time: replaces, no error

    bad = cli("apply", "-f", "-", input=doc.replace("paths: [/hello]", "paths: [/hello]\nmethod: GET"), expect=1)
    assert "method" in bad.stderr, bad.stderr

    cli("delete", "-f", str(path))
    assert cli("org", "get", org, expect=1).returncode == 1


def test_errors_exit_nonzero_with_the_problem(cli):
    p = cli("org", "create", "Bad_Name", expect=1)
    assert "DNS label" in p.stderr, p.stderr
    org = uniq("dup")
    cli("org", "create", org)
    p = cli("org", "create", org, expect=1)
    assert "already exists" in p.stderr, p.stderr
    p = cli("org", "list", "--token", "wrong", expect=1)
    assert "401" in p.stderr or "nauthorized" in p.stderr, p.stderr
    p = cli("function", "create", "f", "--org", org, "--url", "http://x/", "--http-version", "3", expect=2)
    assert "1.1 or 2" in p.stderr, p.stderr


def test_identity_provider_commands_never_show_the_client_secret(gh, cli, upstream, tmp_path):
    org = uniq("cliidp")
    cli("org", "create", org)
    secret = "cs-" + uniq("secret")
    secret_file = tmp_path / "corp-secret"
    secret_file.write_text(secret + "\n")  # as `echo` leaves it: the newline is not part of the secret
    outputs = [cli("identity-provider", "create", "corp", "--org", org, "--type", "oidc",
                   "--issuer", "http://127.0.0.1:5556/dex", "--client-id", "gatehouse",
                   "--client-secret-file", str(secret_file), "--audience", "api://orders", "-o", "json")]
    created = json.loads(outputs[0].stdout)
    assert created["type"] == "oidc" and created["oidc"]["clientSecretSet"] is True, created
    assert created["oidc"]["audiences"] == ["api://orders"]

    # The secret came through the file intact: the API keeps it across an update that leaves it out.
    outputs.append(cli("identity-provider", "update", "corp", "--org", org, "--scope", "openid",
                       "--scope", "offline_access", "-o", "json"))
    updated = json.loads(outputs[-1].stdout)
    assert updated["oidc"]["clientSecretSet"] is True and updated["oidc"]["scopes"] == ["openid", "offline_access"]

    gh_secret = "gh-" + uniq("secret")
    outputs.append(cli("identity-provider", "create", "gh", "--org", org, "--type", "github",
                       "--client-id", "Iv1.abc", "--client-secret-stdin", "--allowed-org", "acme",
                       "--accept-bearer-tokens", "-o", "yaml", input=gh_secret + "\n"))
    assert "clientSecretSet: true" in outputs[-1].stdout and "acceptBearerTokens: true" in outputs[-1].stdout
    for fmt in ("table", "json", "yaml"):
        outputs.append(cli("identity-provider", "get", "corp", "--org", org, "-o", fmt))
        outputs.append(cli("identity-provider", "list", "--org", org, "-o", fmt))
    table = cli("identity-provider", "list", "--org", org).stdout
    assert "oidc" in table and "github" in table and "set" in table, table
    for p in outputs:
        assert secret not in p.stdout + p.stderr and gh_secret not in p.stdout + p.stderr

    # What the sealed secret is, the server never says; that it is the file's content minus the
    # newline shows in the API refusing a different client without a new secret.
    p = cli("identity-provider", "update", "corp", "--org", org, "--client-id", "other", expect=1)
    assert "oidc.clientSecret" in p.stderr, p.stderr

    # Routes name providers through --provider; a named provider cannot go.
    cli("function", "create", "fn", "--org", org, "--url", f"{upstream.url}/")
    route = json.loads(cli("route", "create", "orders", "--org", org, "--function", "fn", "--path", "/orders",
                           "--accept", "jwt", "--accept", "api-key", "--provider", "corp", "--provider", "gatehouse",
                           "--audience", "api://orders", "--scope", "orders:read", "--group", "eng", "-o", "json").stdout)
    assert route["auth"] == {"accept": ["jwt", "api-key"], "providers": ["corp", "gatehouse"],
                             "audiences": ["api://orders"], "scopes": ["orders:read"], "groups": ["eng"]}, route
    assert "jwt,api-key" in cli("route", "list", "--org", org).stdout
    p = cli("route", "create", "bad", "--org", org, "--function", "fn", "--path", "/bad",
            "--accept", "jwt", "--provider", "nope", expect=1)
    assert "auth.providers[0]" in p.stderr, p.stderr
    p = cli("identity-provider", "delete", "corp", "--org", org, expect=1)
    assert "route 'orders'" in p.stderr, p.stderr

    # --accept on update starts the auth block afresh.
    route = json.loads(cli("route", "update", "orders", "--org", org, "--accept", "api-key",
                           "--api-key-header", "x-orders-key", "-o", "json").stdout)
    assert route["auth"] == {"accept": ["api-key"], "apiKeyHeader": "x-orders-key"}, route
    route = json.loads(cli("route", "update", "orders", "--org", org, "--scope", "orders:write", "-o", "json").stdout)
    assert route["auth"] == {"accept": ["api-key"], "apiKeyHeader": "x-orders-key", "scopes": ["orders:write"]}, route
    cli("identity-provider", "delete", "corp", "--org", org)
    cli("identity-provider", "delete", "gh", "--org", org)
    assert cli("identity-provider", "list", "--org", org, "-o", "json").stdout.strip() == "[]"


def test_identity_provider_usage_errors(cli):
    p = cli("identity-provider", "create", "p", "--org", "acme", "--client-id", "c", "--issuer", "https://x", expect=2)
    assert "--type" in p.stderr, p.stderr
    p = cli("identity-provider", "create", "p", "--org", "acme", "--type", "github", "--client-id", "c",
            "--issuer", "https://x", expect=2)
    assert "--issuer is for type oidc" in p.stderr, p.stderr
    p = cli("identity-provider", "create", "p", "--org", "acme", "--type", "oidc", "--client-id", "c", expect=2)
    assert "--issuer is required" in p.stderr, p.stderr
    p = cli("identity-provider", "create", "p", "--org", "acme", "--type", "ldap", "--client-id", "c", expect=2)
    assert "oidc, azure-ad or github" in p.stderr, p.stderr
    p = cli("route", "create", "r", "--org", "acme", "--function", "f", "--path", "/", "--accept", "basic", expect=2)
    assert "none, jwt, session or api-key" in p.stderr, p.stderr
    # There is no flag that would put a secret in the shell's history.
    p = cli("identity-provider", "create", "p", "--org", "acme", "--client-secret", "x", expect=2)


def test_apply_identity_providers_keeps_secrets_out_of_files(gh, cli, upstream, tmp_path):
    org = uniq("applyidp")
    secret = "cs-" + uniq("secret")
    with_secret = textwrap.dedent(f"""\
        kind: route
        org: {org}
        name: orders
        function: orders
        paths: [/orders]
        auth: {{accept: [jwt], providers: [corp]}}
        ---
        kind: identity-provider
        org: {org}
        name: corp
        type: azure-ad
        azureAd: {{tenant: contoso.onmicrosoft.com, clientId: c0ffee, clientSecret: {secret}}}
        ---
        kind: function
        org: {org}
        name: orders
        runtime: http
        http: {{url: "{upstream.url}/"}}
        ---
        kind: org
        name: {org}
        """)
    first = cli("apply", "-f", "-", "-o", "json", input=with_secret)
    assert secret not in first.stdout + first.stderr
    stored = {d["name"]: d for d in json.loads(first.stdout)}
    assert stored["corp"]["azureAd"]["clientSecretSet"] is True, stored

    # The same file without the secret (as it would be committed) keeps the stored one.
    without = with_secret.replace(f", clientSecret: {secret}", "")
    second = json.loads(cli("apply", "-f", "-", "-o", "json", input=without).stdout)
    assert [d for d in second if d["name"] == "corp"][0]["azureAd"]["clientSecretSet"] is True

    dry = cli("apply", "-f", "-", "--dry-run", "-o", "yaml", input=with_secret)
    assert secret not in dry.stdout and "kind: identity-provider" in dry.stdout

    path = tmp_path / "idp.yaml"
    path.write_text(without)
    cli("delete", "-f", str(path))
    assert cli("org", "get", org, expect=1).returncode == 1


def _public_key_file(tmp_path, name: str, bits: int | None = None) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits) if bits else ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / name
    path.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return str(path)


def test_service_account_commands(cli, tmp_path):
    org = uniq("clisa")
    cli("org", "create", org)
    first, second = _public_key_file(tmp_path, "a.pem"), _public_key_file(tmp_path, "b.pem", bits=2048)
    created = json.loads(cli("service-account", "create", "ci", "--org", org, "--public-key-file", first,
                             "--description", "CI", "-o", "json").stdout)
    assert [k["kind"] for k in created["publicKeys"]] == ["ec-p256"] and created["description"] == "CI", created
    cli("service-account", "update", "ci", "--org", org, "--public-key-file", first, "--public-key-file", second)
    got = json.loads(cli("service-account", "get", "ci", "--org", org, "-o", "json").stdout)
    assert [k["kind"] for k in got["publicKeys"]] == ["ec-p256", "rsa-2048"], got
    table = cli("service-account", "list", "--org", org).stdout
    assert "ci" in table and "rsa-2048" in table, table

    small = _public_key_file(tmp_path, "small.pem", bits=1024)
    p = cli("service-account", "create", "weak", "--org", org, "--public-key-file", small, expect=1)
    assert "publicKeys[0].pem" in p.stderr and "1024" in p.stderr, p.stderr
    p = cli("service-account", "create", "none", "--org", org, expect=2)
    assert "--public-key-file" in p.stderr, p.stderr

    cli("service-account", "delete", "ci", "--org", org)
    cli("org", "delete", org)


def test_api_key_commands_show_the_key_once(cli):
    org = uniq("cliak")
    cli("org", "create", org)
    p = cli("api-key", "create", "ci", "--org", org, "--scope", "deploy", "--expires-at", "2099-01-01T00:00:00Z")
    key = p.stdout.strip()
    assert key.startswith("gak_") and len(key.splitlines()) == 1, p.stdout
    assert "never again" in p.stderr and key not in p.stderr, p.stderr

    outputs = [cli("api-key", "get", "ci", "--org", org, "-o", fmt) for fmt in ("json", "yaml", "table")]
    outputs += [cli("api-key", "list", "--org", org, "-o", fmt) for fmt in ("json", "yaml", "table")]
    outputs.append(cli("api-key", "update", "ci", "--org", org, "--revoke", "-o", "json"))
    for out in outputs:
        assert key not in out.stdout + out.stderr and "keyHash" not in out.stdout, out.stdout
    got = json.loads(cli("api-key", "get", "ci", "--org", org, "-o", "json").stdout)
    assert got["revoked"] is True and got["scopes"] == ["deploy"] and key.startswith(f"gak_{got['keyId']}_"), got
    assert "revoked" in cli("api-key", "list", "--org", org).stdout

    p = cli("api-key", "create", "old", "--org", org, "--expires-at", "2001-01-01T00:00:00Z", expect=1)
    assert "expiresAt" in p.stderr, p.stderr
    cli("api-key", "create", "bad", "--org", org, "--expires-at", "next week", expect=2)

    cli("api-key", "delete", "ci", "--org", org)
    cli("org", "delete", org)


def test_apply_service_accounts_and_api_keys(cli, tmp_path):
    org = uniq("applysa")
    pem = open(_public_key_file(tmp_path, "sa.pem")).read()
    doc = f"kind: org\nname: {org}\n---\n" + textwrap.dedent(f"""\
        kind: api-key
        org: {org}
        name: deploy
        scopes: [deploy]
        ---
        kind: service-account
        org: {org}
        name: ci
        publicKeys:
          - pem: |
        """) + textwrap.indent(pem, " " * 6)
    first = cli("apply", "-f", "-", input=doc)
    assert f"service-account {org}/ci created" in first.stdout, first.stdout
    assert "gak_" in first.stdout and "never again" in first.stderr, (first.stdout, first.stderr)
    # Applying again updates: the key is kept and not shown.
    second = cli("apply", "-f", "-", "-o", "json", input=doc)
    stored = {d["name"]: d for d in json.loads(second.stdout)}
    assert "key" not in stored["deploy"] and stored["deploy"]["keyId"], stored
    assert stored["ci"]["publicKeys"][0]["kind"] == "ec-p256", stored
    path = tmp_path / "sa.yaml"
    path.write_text(doc)
    cli("delete", "-f", str(path))
    assert cli("org", "get", org, expect=1).returncode == 1


def test_identity_provider_claim_options_map_claim_names(gh, cli):
    org = uniq("cliclaims")
    cli("org", "create", org)
    oidc = json.loads(cli("identity-provider", "create", "corp", "--org", org, "--type", "oidc",
                          "--issuer", "https://login.example.com", "--client-id", "gatehouse",
                          "--claim", "subject=oid", "--claim", "groups=roles_and_groups", "-o", "json").stdout)
    assert oidc["oidc"]["claims"] == {"subject": "oid", "groups": "roles_and_groups"}, oidc
    # An update lays new names over the stored ones and keeps the rest.
    oidc = json.loads(cli("identity-provider", "update", "corp", "--org", org, "--claim", "email=upn", "-o", "json").stdout)
    assert oidc["oidc"]["claims"] == {"subject": "oid", "email": "upn", "groups": "roles_and_groups"}, oidc
    azure = json.loads(cli("identity-provider", "create", "entra", "--org", org, "--type", "azure-ad",
                           "--tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47", "--client-id", "app",
                           "--claim", "email=preferred_username", "--claim", "roles=app_roles", "-o", "json").stdout)
    assert azure["azureAd"]["claims"] == {"email": "preferred_username", "roles": "app_roles"}, azure
    cli("identity-provider", "delete", "corp", "--org", org)
    cli("identity-provider", "delete", "entra", "--org", org)
