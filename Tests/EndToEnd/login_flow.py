"""What the login suites share: a browser stand-in and callback URLs changed on the way, as an
attacker in the middle or a provider of another issuer would change them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx

from harness import ssl_context


def browser(gh) -> httpx.Client:
    """A cookie jar trusting Gatehouse's CA; redirects are followed by hand."""
    return httpx.Client(verify=ssl_context(gh.ca), timeout=15, follow_redirects=False)


def with_query(url: str, **changes: str | None) -> str:
    """`url` with query parameters set, or removed where the value is None."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for k, v in changes.items():
        if v is None:
            query.pop(k, None)
        else:
            query[k] = v
    return urlunsplit(parts._replace(query=urlencode(query)))


def to_callback(b: httpx.Client, gh, org: str, provider: str, **params: str) -> str:
    """Starts a login and follows it to the provider; the callback URL it sends the browser to
    (not yet visited)."""
    r = b.get(f"{gh.admin_url}/auth/{org}/{provider}/login", params=params)
    assert r.status_code == 303, (r.status_code, r.text[:500])
    r = b.get(r.headers["location"])
    assert r.status_code in (302, 303), (r.status_code, r.text[:500])
    callback = r.headers["location"]
    assert callback.startswith(f"{gh.admin_url}/auth/{org}/{provider}/callback?"), callback
    return callback
