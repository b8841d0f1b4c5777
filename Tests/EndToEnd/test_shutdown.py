"""SIGTERM as a newcomer meets it: a server that serves nothing exits at once without warning,
and the warning that requests were cut off appears only when one really was, with the count
(issue 13, bug 2). The server runs as the quickstart starts it: no plain listener."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import httpx
import pytest

from harness import Gatehouse, check, ssl_context, uniq

CUT_OFF_WARNING = "did not finish within the grace period"


def _stop(gh: Gatehouse, timeout: float) -> tuple[int, float]:
    """SIGTERM; the exit code and the seconds it took (a kill -9 and a failure on a hang)."""
    gh.drop_admin_connection()
    signalled = time.monotonic()
    gh.proc.send_signal(signal.SIGTERM)
    try:
        rc = gh.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        gh.kill9()
        pytest.fail(f"gatehouse did not exit within {timeout} s of SIGTERM\n{gh.log_tail()}")
    took = time.monotonic() - signalled
    gh.terminate()  # bookkeeping only: it has exited
    return rc, took


def test_idle_server_exits_at_once_without_warning(tmp_path):
    gh = Gatehouse(tmp_path / "idle", ["--shutdown-grace-seconds", "20"], plain=False).start()
    try:
        check(gh.api("GET", "/v1/orgs"), 200)
        rc, took = _stop(gh, timeout=30)
        assert rc == 0, f"exit code after SIGTERM: {rc}"
        # The grace period is 20 s: an idle server that waits it out takes at least that.
        assert took < 10, f"an idle server took {took:.1f} s to exit on SIGTERM (grace 20 s)"
        assert CUT_OFF_WARNING not in gh.log_text(), gh.log_tail()
    finally:
        gh.close()


def test_request_held_past_the_grace_is_cut_off_and_counted(tmp_path, upstream):
    gh = Gatehouse(tmp_path / "held", ["--shutdown-grace-seconds", "1"], plain=False).start()
    try:
        org = gh.create_org()
        gh.create_function(org, "slow", f"{upstream.url}/base", timeout_ms=60000)
        gh.create_route(org, "slow", "slow", ["/slow"])
        tag = uniq("held")
        outcome: dict = {}

        def call():
            try:
                r = httpx.get(f"{gh.edge_url}/{org}/slow", params={"ms": "30000", "tag": tag},
                              verify=ssl_context(gh.ca), timeout=60)
                outcome["status"] = r.status_code
            except httpx.HTTPError as e:
                outcome["error"] = e

        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        upstream.wait_inflight(tag)
        rc, took = _stop(gh, timeout=30)
        thread.join(30)
        assert rc == 0, f"exit code after SIGTERM: {rc}"
        assert took < 20, f"the server took {took:.1f} s past a 1 s grace to cut a request off"
        assert outcome.get("status") != 200, f"the held request finished, so none was cut off: {outcome}"
        warnings = [line for line in gh.log_text().splitlines() if CUT_OFF_WARNING in line]
        assert warnings, f"no cut-off warning\n{gh.log_tail()}"
        assert "1 in-flight request" in warnings[0], warnings
    finally:
        gh.close()
