#!/usr/bin/env python3
"""Gatehouse benchmark against nginx, HAProxy and Envoy (issue #3). Started by bench/run.

Every system (Gatehouse and each peer) terminates TLS h2 with the same certificate and proxies to
one shared upstream (nginx, fixed 100-byte body, HTTP/1.1 keep-alive). h2load drives the load.
Servers are pinned to one core, h2load and the upstream to the other; systems alternate within
each round. Server CPU comes from /proc/PID/stat (utime+stime of the server and all its
children), peak RSS from VmHWM (summed over the server's processes).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = HERE / "peers"
RESULTS = HERE / "results"
WORK = RESULTS / "work.tmp"          # scratch, git-ignored (bench/results/*.tmp)
CLK_TCK = os.sysconf("SC_CLK_TCK")

PORTS = dict(upstream=18080, gatehouse=18443, gatehouse_admin=18444, nginx=18451, haproxy=18452,
             envoy=18453, haproxy_jwt=18462, envoy_jwt=18463, haproxy_policy=18472, envoy_policy=18473, issuer=18470)
WORKLOADS = ["proxy", "jwt", "policy", "routes-10k", "connections", "runtimes"]
PEER_NAMES = ["nginx", "haproxy", "envoy"]
# A loopback issuer: Gatehouse finds its keys by OIDC discovery (served by `serve_issuer`); the
# peers are given the same keys as a file. Gatehouse accepts plain http only for loopback issuers.
JWT_ISS, JWT_AUD = f"http://127.0.0.1:{PORTS['issuer']}", "gatehouse-bench"


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- placement

def placement():
    n = os.cpu_count() or 1
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    if n >= 2 and shutil.which("taskset"):
        return {"server": "0", "load": "1", "upstream": "1",
                "text": "servers on core 0; h2load, the connection client and the upstream nginx on core 1 (taskset)"}
    return {"server": None, "load": None, "upstream": None,
            "text": "one core available: no pinning (servers, load generator and upstream share it)"}


def pinned(cmd, core):
    return (["taskset", "-c", core] + cmd) if core is not None else cmd


# ---------------------------------------------------------------- processes

def proc_children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            ppid = int(s[s.rfind(")") + 2:].split()[1])
            kids.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError, IndexError):
            pass
    return kids


class Server:
    def __init__(self, name, cmd, core, cwd=None, env=None):
        self.name = name
        self.out = open(WORK / f"{name}.log", "ab")
        self.p = subprocess.Popen(pinned(cmd, core), stdout=self.out, stderr=subprocess.STDOUT,
                                  cwd=cwd, env=env, start_new_session=True)
        self.pid = self.p.pid

    def pids(self):
        kids = proc_children_map()
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(kids.get(p, []))
        return out

    def cpu_ticks(self):
        t = 0
        for p in self.pids():
            try:
                with open(f"/proc/{p}/stat") as f:
                    s = f.read()
                fields = s[s.rfind(")") + 2:].split()
                t += int(fields[11]) + int(fields[12])   # utime, stime
            except (OSError, ValueError, IndexError):
                pass
        return t

    def _status_kb(self, key):
        t = 0
        for p in self.pids():
            try:
                with open(f"/proc/{p}/status") as f:
                    for line in f:
                        if line.startswith(key + ":"):
                            t += int(line.split()[1])
            except (OSError, ValueError):
                pass
        return t

    def hwm_kb(self):
        return self._status_kb("VmHWM")

    def rss_kb(self):
        return self._status_kb("VmRSS")

    def threads(self):
        names = []
        for p in self.pids():
            try:
                for t in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{t}/comm") as f:
                        names.append(f.read().strip())
            except OSError:
                pass
        return names

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.out.close()


def wait_port(port, proc=None, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited; see {WORK / (proc.name + '.log')}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


def render(template, out, subs):
    s = (PEERS / template).read_text()
    for k, v in subs.items():
        s = s.replace("@" + k + "@", str(v))
    left = re.findall(r"@[A-Z_]+@", s)
    if left:
        raise RuntimeError(f"{template}: unfilled {left}")
    (WORK / out).write_text(s)
    return WORK / out


# ---------------------------------------------------------------- JWT material

def make_jwt_material():
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    import base64

    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key()
    (WORK / "jwt-pub.pem").write_bytes(pub.public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo))
    nums = pub.public_numbers()
    jwks = {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "bench",
                      "n": b64(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")),
                      "e": b64(nums.e.to_bytes(3, "big"))}]}
    (WORK / "jwks.json").write_text(json.dumps(jwks))

    def token(sub):
        h = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "bench"}).encode())
        p = b64(json.dumps({"iss": JWT_ISS, "aud": JWT_AUD, "sub": sub, "org": "bench",
                            "exp": int(time.time()) + 86400, "iat": int(time.time())}).encode())
        sig = key.sign(f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{h}.{p}.{b64(sig)}"

    tokens = [token(f"user-{i}") for i in range(1000)]
    (WORK / "jwt-tokens.txt").write_text("\n".join(tokens) + "\n")
    return tokens


def serve_issuer():
    """The bench issuer's discovery document and JWKS, for Gatehouse (a daemon thread)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    documents = {
        "/.well-known/openid-configuration": json.dumps({"issuer": JWT_ISS, "jwks_uri": f"{JWT_ISS}/jwks.json"}),
        "/jwks.json": (WORK / "jwks.json").read_text(),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = documents.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("content-type", "application/json")
            self.send_header("cache-control", "max-age=3600")
            self.end_headers()
            self.wfile.write((body or "{}").encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", PORTS["issuer"]), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


# ---------------------------------------------------------------- systems

class Gatehouse:
    name = "gatehouse"

    def __init__(self, binary):
        self.binary = binary
        self.certs = WORK / "certs"
        self.srv = None
        self.client = None
        # Set by the jwt workload: the route /bench/jwt then needs this provider's tokens.
        self.jwt_token = None

    def start(self):
        data = WORK / "gatehouse-data"
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        self.data = data
        cmd = [self.binary, "serve", "--data-dir", str(data), "--certs-dir", str(self.certs),
               "--public-addr", f"127.0.0.1:{PORTS['gatehouse']}",
               "--admin-addr", f"127.0.0.1:{PORTS['gatehouse_admin']}", "--log-level", "warning"]
        self.srv = Server("gatehouse", cmd, PLACE["server"])
        wait_port(PORTS["gatehouse"], self.srv)
        wait_port(PORTS["gatehouse_admin"], self.srv)
        for _ in range(100):
            if (data / "admin-token").exists():
                break
            time.sleep(0.1)
        import httpx
        self.token = (data / "admin-token").read_text().strip()
        self.client = httpx.Client(base_url=f"https://127.0.0.1:{PORTS['gatehouse_admin']}/v1",
                                   verify=str(self.certs / "ca.pem"), timeout=30,
                                   headers={"authorization": f"Bearer {self.token}"})
        self.put(f"/orgs/bench", {"name": "bench"})
        self.put(f"/orgs/bench/functions/up",
                 {"name": "up", "runtime": "http", "http": {"url": f"http://127.0.0.1:{PORTS['upstream']}/"}})
        self.put(f"/orgs/bench/routes/r", {"name": "r", "function": "up", "paths": ["/hello"]})
        self.wait_route("/bench/hello")
        if self.jwt_token:
            self.put("/orgs/bench/identity-providers/bench",
                     {"name": "bench", "type": "oidc", "oidc": {"issuer": JWT_ISS, "clientId": JWT_AUD}})
            self.put("/orgs/bench/routes/jwt",
                     {"name": "jwt", "function": "up", "paths": ["/jwt"], "auth": {"mode": "jwt"}})
            self.wait_route("/bench/jwt", headers={"authorization": f"Bearer {self.jwt_token}"})
            # policy: the jwt route's twin under an org-wide rate limit the load never reaches.
            self.put("/orgs/bench/routes/policy",
                     {"name": "policy", "function": "up", "paths": ["/policy"], "auth": {"mode": "jwt"}})
            self.put("/orgs/bench/policies/limits",
                     {"rateLimits": [{"name": "org", "requests": 10000000, "periodSeconds": 1, "key": "org",
                                      "routes": ["policy"]}]})
            self.wait_route("/bench/policy", headers={"authorization": f"Bearer {self.jwt_token}"})

    def put(self, path, body):
        r = self.client.put(path, json=body)
        if r.status_code >= 300:
            raise RuntimeError(f"PUT {path}: {r.status_code} {r.text[:300]}")
        return r

    def wait_route(self, path, timeout=120, headers=None):
        import httpx
        end = time.time() + timeout
        with httpx.Client(verify=False) as c:
            while time.time() < end:
                try:
                    if c.get(f"https://127.0.0.1:{PORTS['gatehouse']}{path}", headers=headers).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"gatehouse: {path} never answered 200")

    def url(self, workload):
        return f"https://127.0.0.1:{PORTS['gatehouse']}/bench/{workload if workload in ('jwt', 'policy') else 'hello'}"

    def stop(self):
        if self.client:
            self.client.close()
            self.client = None
        if self.srv:
            self.srv.stop()
            self.srv = None


class Peer:
    def __init__(self, name, workers, envoy_bin):
        self.name, self.workers, self.envoy_bin = name, workers, envoy_bin
        self.srv = None

    def start(self):
        certs = WORK / "certs"
        subs = dict(WORK=WORK, WORKERS=self.workers, UPSTREAM_PORT=PORTS["upstream"],
                    CERT=certs / "server.pem", KEY=certs / "server-key.pem",
                    CERT_BUNDLE=WORK / "haproxy-bundle.pem", JWT_ISS=JWT_ISS, JWT_AUD=JWT_AUD,
                    JWT_PUBKEY=WORK / "jwt-pub.pem", JWKS=WORK / "jwks.json")
        core = PLACE["server"]
        if self.name == "nginx":
            conf = render("nginx.conf", "nginx.conf", dict(subs, PORT=PORTS["nginx"]))
            self.srv = Server("nginx", ["nginx", "-c", str(conf), "-e", str(WORK / "nginx-error.log")], core)
            wait_port(PORTS["nginx"], self.srv)
        elif self.name == "haproxy":
            conf = render("haproxy.cfg", "haproxy.cfg", dict(subs, PORT=PORTS["haproxy"], JWT_PORT=PORTS["haproxy_jwt"],
                                                             POLICY_PORT=PORTS["haproxy_policy"]))
            self.srv = Server("haproxy", ["haproxy", "-db", "-f", str(conf)], core)
            wait_port(PORTS["haproxy"], self.srv)
        elif self.name == "envoy":
            conf = render("envoy.yaml", "envoy.yaml", dict(subs, PORT=PORTS["envoy"], JWT_PORT=PORTS["envoy_jwt"],
                                                           POLICY_PORT=PORTS["envoy_policy"]))
            self.srv = Server("envoy", [self.envoy_bin, "-c", str(conf), "--concurrency", str(self.workers),
                                        "--log-level", "error", "--base-id", "7"], core)
            wait_port(PORTS["envoy"], self.srv)
        time.sleep(0.3)

    def url(self, workload):
        port = PORTS[f"{self.name}_{workload}"] if workload in ("jwt", "policy") else PORTS[self.name]
        return f"https://127.0.0.1:{port}/bench/hello"

    def stop(self):
        if self.srv:
            self.srv.stop()
            self.srv = None


# ---------------------------------------------------------------- load

def h2load(urls, duration, clients, streams, headers=(), tag="run"):
    logf = WORK / f"h2load-{tag}.log"
    if logf.exists():
        logf.unlink()
    cmd = ["h2load", "-c", str(clients), "-m", str(streams), "-t", "1", "-D", str(duration),
           "--log-file", str(logf)]
    for h in headers:
        cmd += ["-H", h]
    cmd += list(urls)
    r = subprocess.run(pinned(cmd, PLACE["load"]), capture_output=True, text=True, timeout=duration + 120)
    out = r.stdout
    res = {"rps": 0.0, "done": 0, "succeeded": 0, "failed": 0, "errored": 0, "timeout": 0,
           "non2xx": 0, "p50_ms": None, "p99_ms": None}
    m = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out)
    if m:
        res["rps"] = float(m.group(3))
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
    if m:
        res.update(started=int(m.group(2)), done=int(m.group(3)), succeeded=int(m.group(4)), failed=int(m.group(5)),
                   errored=int(m.group(6)), timeout=int(m.group(7)))
    m = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    if m:
        res["non2xx"] = int(m.group(2)) + int(m.group(3)) + int(m.group(4))
    if not m or r.returncode != 0 or res["done"] == 0 or res["succeeded"] < res["done"]:
        res["h2load_output"] = (out + r.stderr)[-2000:]
    lat = []
    if logf.exists():
        with open(logf) as f:
            for line in f:
                parts = line.split("\t")
                if len(parts) >= 3:
                    lat.append(int(parts[2]))
        logf.unlink()
    if lat:
        lat.sort()
        res["p50_ms"] = lat[len(lat) // 2] / 1000
        res["p99_ms"] = lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1000
    res["errors"] = res["failed"] + res["errored"] + res["timeout"] + res["non2xx"]
    if res["done"] == 0:   # nothing completed: count what was started (at least 1)
        res["errors"] = max(res["errors"], res.get("started", 0), 1)
    return res


def measure(srv, urls, args, headers=(), tag="run"):
    t0 = srv.cpu_ticks()
    r = h2load(urls, args.duration, args.clients, args.streams, headers, tag)
    t1 = srv.cpu_ticks()
    r["cpu_s"] = (t1 - t0) / CLK_TCK
    r["cpu_us_per_req"] = (r["cpu_s"] * 1e6 / r["succeeded"]) if r["succeeded"] else None
    r["hwm_kib"] = srv.hwm_kb()
    return r


def summarize(rounds):
    ok = [r for r in rounds if r.get("rps")]
    med = lambda k: statistics.median([r[k] for r in ok if r.get(k) is not None]) if any(r.get(k) is not None for r in ok) else None
    return {"rps": med("rps"), "p50_ms": med("p50_ms"), "p99_ms": med("p99_ms"),
            "cpu_us_per_req": med("cpu_us_per_req"),
            "peak_rss_mib": max((r["hwm_kib"] for r in rounds), default=0) / 1024,
            "errors": sum(r["errors"] for r in rounds), "requests": sum(r["done"] for r in rounds),
            "rounds": rounds}


# ---------------------------------------------------------------- workloads

def start_all(systems):
    for s in systems:
        s.start()


def stop_all(systems):
    for s in systems:
        s.stop()


def warm(system, workload, headers=()):
    h2load([system.url(workload)], 1, 16, 4, headers, tag="warm")


def run_alternating(systems, workload, args, headers=()):
    out = {s.name: [] for s in systems}
    for s in systems:
        warm(s, workload, headers)
    for rnd in range(args.rounds):
        order = systems[rnd % len(systems):] + systems[:rnd % len(systems)]
        for s in order:
            r = measure(s.srv, [s.url(workload)], args, headers, tag=s.name)
            log(f"{workload} round {rnd + 1}/{args.rounds} {s.name}: {r['rps']:.0f} req/s, p99 {r['p99_ms']} ms, "
                f"{r['cpu_us_per_req'] and round(r['cpu_us_per_req'], 1)} us/req, errors {r['errors']}")
            out[s.name].append(r)
    return {k: summarize(v) for k, v in out.items()}


def wl_proxy(args, gh, peers):
    systems = [gh] + peers
    start_all(systems)
    try:
        return run_alternating(systems, "proxy", args)
    finally:
        stop_all(systems)


def wl_jwt(args, gh, peers, tokens, workload="jwt"):
    """jwt, and policy (the same plus an org-wide rate limit that is never exceeded)."""
    gh.jwt_token = tokens[0]
    systems = [gh] + [p for p in peers if p.name in ("haproxy", "envoy")]
    res = {"nginx": {"na": "n/a: nginx OSS has no JWT validation"}}
    start_all(systems)
    try:
        # Sanity: a bad token must be refused, else the peer is not validating.
        import httpx
        with httpx.Client(verify=False) as c:
            for s in systems:
                good = c.get(s.url(workload), headers={"authorization": f"Bearer {tokens[0]}"}).status_code
                bad = c.get(s.url(workload), headers={"authorization": f"Bearer {tokens[0][:-4]}AAAA"}).status_code
                log(f"{workload} sanity {s.name}: good token -> {good}, bad signature -> {bad}")
                if good != 200 or bad != 401:
                    raise RuntimeError(f"{s.name} {workload} config does not validate (good {good}, bad {bad})")
        res.update(run_alternating(systems, workload, args, headers=[f"authorization: Bearer {tokens[0]}"]))
        for k in ("gatehouse", "haproxy", "envoy"):
            res[k]["note"] = "same token every request; the 1,000-distinct-token variant is not run yet (h2load sends one header set)"
    finally:
        stop_all(systems)
        gh.jwt_token = None
    return res


def wl_policy(args, gh, peers, tokens):
    return wl_jwt(args, gh, peers, tokens, workload="policy")


async def _populate(gh, n_orgs, per_org):
    import httpx
    sem = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=f"https://127.0.0.1:{PORTS['gatehouse_admin']}/v1", http2=True,
                                 verify=str(gh.certs / "ca.pem"), timeout=120,
                                 headers={"authorization": f"Bearer {gh.token}"}) as c:
        async def put(path, body):
            async with sem:
                for attempt in range(5):
                    r = await c.put(path, json=body)
                    if r.status_code < 300:
                        return
                    await asyncio.sleep(0.2)
                raise RuntimeError(f"PUT {path}: {r.status_code} {r.text[:200]}")

        await asyncio.gather(*[put(f"/orgs/o{i}", {"name": f"o{i}"}) for i in range(n_orgs)])
        await asyncio.gather(*[put(f"/orgs/o{i}/functions/up", {"name": "up", "runtime": "http",
                                                                "http": {"url": f"http://127.0.0.1:{PORTS['upstream']}/"}})
                               for i in range(n_orgs)])
        await asyncio.gather(*[put(f"/orgs/o{i}/routes/r{j}", {"name": f"r{j}", "function": "up", "paths": [f"/r{j}"]})
                               for i in range(n_orgs) for j in range(per_org)])


def wl_routes(args, gh, peers):
    res = {p.name: {"na": "n/a: Gatehouse-only workload"} for p in peers}
    gh.start()
    try:
        t = time.time()
        asyncio.run(_populate(gh, 1000, 10))
        setup_s = time.time() - t
        gh.wait_route("/o999/r9")
        log(f"routes-10k: 1,000 orgs x 10 routes created in {setup_s:.1f} s")
        urls = [f"https://127.0.0.1:{PORTS['gatehouse']}/o{(i * 37) % 1000}/r{i % 9}" for i in range(100)]
        warm_urls = urls[:10]
        h2load(warm_urls, 2, 16, 4, tag="warm")
        idle, busy, updates = [], [], {"ok": 0, "failed": 0}
        for rnd in range(args.rounds):
            r = measure(gh.srv, urls, args, tag="routes-idle")
            log(f"routes-10k round {rnd + 1} idle: {r['rps']:.0f} req/s, p99 {r['p99_ms']} ms, errors {r['errors']}")
            idle.append(r)
            stop = threading.Event()

            def updater():
                k = 0
                while not stop.is_set():
                    org = f"o{(k * 7) % 1000}"
                    body = {"name": "r9", "function": "up", "paths": ["/r9" if k % 2 else "/r9-moved"]}
                    try:
                        rr = gh.client.put(f"/orgs/{org}/routes/r9", json=body)
                        updates["ok" if rr.status_code < 300 else "failed"] += 1
                    except Exception:
                        updates["failed"] += 1
                    k += 1
                    stop.wait(0.1)

            th = threading.Thread(target=updater, daemon=True)
            th.start()
            r = measure(gh.srv, urls, args, tag="routes-busy")
            stop.set()
            th.join()
            log(f"routes-10k round {rnd + 1} updating: {r['rps']:.0f} req/s, p99 {r['p99_ms']} ms, errors {r['errors']}")
            busy.append(r)
        res = dict({"gatehouse (idle)": summarize(idle), "gatehouse (updating)": summarize(busy)}, **res)
        res["gatehouse (updating)"]["admin_updates"] = updates
        res["gatehouse (idle)"]["setup_seconds"] = setup_s
    finally:
        gh.stop()
    return res


PY_HELLO = "def handle(request):\n    return 'hello'\n"


def _runtime_function(gh, name, spec, code, filename, path):
    """A function with uploaded code and its route; waits until it is built and routed."""
    gh.put(f"/orgs/bench/functions/{name}", {"name": name, **spec})
    r = gh.client.put(f"/orgs/bench/functions/{name}/code", params={"filename": filename}, content=code,
                      headers={"content-type": "application/octet-stream"})
    if r.status_code != 202:
        raise RuntimeError(f"code upload for {name}: {r.status_code} {r.text[:300]}")
    for _ in range(600):
        state = gh.client.get(f"/orgs/bench/functions/{name}").json()["status"]["state"]
        if state != "building":
            break
        time.sleep(0.05)
    if state != "ready":
        raise RuntimeError(f"{name} did not build: {state}")
    revision = gh.put(f"/orgs/bench/routes/{name}", {"name": name, "function": name, "paths": [path]}).json()["revision"]
    # The route is live once the edge's snapshot has its revision (asking the route itself
    # would start the worker a cold-start measurement is waiting to time).
    import httpx
    with httpx.Client(verify=False) as c:
        for _ in range(600):
            if c.get(f"https://127.0.0.1:{PORTS['gatehouse']}/healthz").json()["revision"] >= revision:
                return
            time.sleep(0.02)
    raise RuntimeError(f"route {name} never reached the edge")


def wl_runtimes(args, gh, peers):
    """Functions Gatehouse runs itself (issue #6's targets): a python3 process worker and a wasm
    module, next to the same edge proxying to the nginx upstream. Sequential requests (1 client,
    1 stream) give the latency each layer adds; 16 clients give throughput. Cold start: the
    first request to a python3 function that has no worker yet, timed by the client."""
    import copy
    import httpx
    res = {p.name: {"na": "n/a: Gatehouse-only workload"} for p in peers}
    gh.start()
    try:
        _runtime_function(gh, "py", {"runtime": "process", "process": {"language": "python3", "handler": "main.handle",
                                                                      "maxInstances": 2}},
                          PY_HELLO.encode(), "main.py", "/py")
        _runtime_function(gh, "wa", {"runtime": "wasm"}, (ROOT / "examples" / "wasm" / "hello.wat").read_bytes(), "hello.wat", "/wa")
        base = f"https://127.0.0.1:{PORTS['gatehouse']}/bench"
        for path in ("/py", "/wa", "/hello"):
            gh.wait_route(f"/bench{path}")
        seq = copy.copy(args)
        seq.clients, seq.streams = 1, 1
        wide = copy.copy(args)
        wide.clients, wide.streams = 16, 1
        rows = {"gatehouse proxy (seq)": (seq, "/hello"), "gatehouse python (seq)": (seq, "/py"),
                "gatehouse wasm (seq)": (seq, "/wa"), "gatehouse python (16c)": (wide, "/py"),
                "gatehouse wasm (16c)": (wide, "/wa")}
        rounds = {k: [] for k in rows}
        for name, (a, path) in rows.items():
            h2load([base + path], 1, a.clients, 1, tag="warm")
        for rnd in range(args.rounds):
            for name, (a, path) in rows.items():
                r = measure(gh.srv, [base + path], a, tag=name)
                log(f"runtimes round {rnd + 1} {name}: {r['rps']:.0f} req/s, p50 {r['p50_ms']} ms, errors {r['errors']}")
                rounds[name].append(r)
        for name in rows:
            res[name] = summarize(rounds[name])
        cold = []
        with httpx.Client(verify=False, http2=True) as c:
            for i in range(5):
                name = f"cold{i}"
                _runtime_function(gh, name, {"runtime": "process", "process": {"language": "python3", "handler": "main.handle"}},
                                  PY_HELLO.encode() + f"# {i}\n".encode(), "main.py", f"/{name}")
                c.get(f"{base}/hello")   # a warm connection: the figure is the worker's start
                t = time.perf_counter()
                status = c.get(f"{base}/{name}").status_code
                cold.append((time.perf_counter() - t) * 1000)
                log(f"runtimes cold start {name}: {cold[-1]:.1f} ms (status {status})")
        res["gatehouse python (seq)"]["cold_start_ms"] = sorted(cold)[len(cold) // 2]
        res["gatehouse python (seq)"]["cold_start_all_ms"] = [round(x, 1) for x in cold]
    finally:
        gh.stop()
    return res


CONN_CLIENT = r'''
import asyncio, resource, ssl, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 1024, n + 1024))
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
ACK = b"\x00\x00\x00\x04\x01\x00\x00\x00\x00"
conns, failed = [], 0
async def one(sem):
    global failed
    async with sem:
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ctx, server_hostname="localhost"), 30)
            w.write(PREFACE); await w.drain()
            await asyncio.wait_for(r.read(9), 10)   # the server's SETTINGS (or its start)
            w.write(ACK); await w.drain()
            conns.append((r, w))
        except Exception:
            failed += 1
async def main():
    sem = asyncio.Semaphore(128)
    await asyncio.gather(*[one(sem) for _ in range(n)])
    print(f"READY {len(conns)} {failed}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    alive = sum(1 for r, w in conns if not r.at_eof() and not w.is_closing())
    print(f"ALIVE {alive}", flush=True)
    for r, w in conns:
        w.transport.abort()
asyncio.run(main())
'''


def wl_connections(args, gh, peers):
    res = {}
    for s in [gh] + peers:
        s.start()
        try:
            if s is gh:
                warm(s, "proxy")          # one request path exercised, as for the peers below
            else:
                warm(s, "proxy")
            time.sleep(1)
            idle_kib = s.srv.rss_kb()
            port = int(s.url("proxy").split(":")[2].split("/")[0])
            t = time.time()
            cp = subprocess.Popen(pinned([sys.executable, "-c", CONN_CLIENT, "127.0.0.1", str(port), str(args.connections)],
                                         PLACE["load"]), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            line = cp.stdout.readline().split()
            opened, failed = (int(line[1]), int(line[2])) if len(line) == 3 else (0, args.connections)
            open_s = time.time() - t
            time.sleep(3)
            held_kib = s.srv.rss_kb()
            cp.stdin.write("\n")
            cp.stdin.flush()
            line = cp.stdout.readline().split()
            alive = int(line[1]) if len(line) == 2 else 0
            cp.wait(60)
            per = (held_kib - idle_kib) / opened if opened else None
            log(f"connections {s.name}: idle {idle_kib / 1024:.1f} MiB, {opened} open ({failed} failed, {alive} alive after 3 s) "
                f"-> {held_kib / 1024:.1f} MiB, {per and round(per, 2)} KiB/conn, opened in {open_s:.1f} s")
            res[s.name] = {"idle_rss_mib": idle_kib / 1024, "held_rss_mib": held_kib / 1024, "kib_per_conn": per,
                           "opened": opened, "failed": failed, "alive": alive, "errors": failed + (opened - alive),
                           "peak_rss_mib": s.srv.hwm_kb() / 1024, "open_seconds": open_s}
        finally:
            s.stop()
    return res


# ---------------------------------------------------------------- report

def fmt(v, nd=0):
    if v is None:
        return "-"
    return f"{v:,.{nd}f}"


def ratio(v, best):
    if v is None or not best:
        return ""
    return f" ({v / best:.2f}x)"


def best_peer(rows, key, higher):
    vals = [rows[p][key] for p in PEER_NAMES if p in rows and isinstance(rows[p], dict) and rows[p].get(key) is not None]
    if not vals:
        return None
    return max(vals) if higher else min(vals)


def table(results, meta):
    lines = []
    hdr = f"{'workload':<12} {'system':<22} {'req/s':>18} {'p50 ms':>14} {'p99 ms':>14} {'CPU us/req':>16} {'peak RSS MiB':>16} {'errors':>7}"
    lines += [hdr, "-" * len(hdr)]
    for wl in WORKLOADS:
        if wl not in results:
            continue
        rows = results[wl]
        if wl == "connections":
            bk = best_peer(rows, "kib_per_conn", False)
            bi = best_peer(rows, "idle_rss_mib", False)
            for name in ["gatehouse"] + PEER_NAMES:
                r = rows.get(name)
                if not r:
                    continue
                lines.append(f"{wl:<12} {name:<22} {'KiB/conn ' + fmt(r['kib_per_conn'], 2) + ratio(r['kib_per_conn'], bk):>33} "
                             f"{'idle RSS MiB ' + fmt(r['idle_rss_mib'], 1) + ratio(r['idle_rss_mib'], bi):>31} "
                             f"{fmt(r['peak_rss_mib'], 1):>16} {r['errors']:>7}   held {r['alive']}/{meta['args']['connections']}")
            continue
        keys = [("rps", True, 0), ("p50_ms", False, 2), ("p99_ms", False, 2), ("cpu_us_per_req", False, 1),
                ("peak_rss_mib", False, 1)]
        bests = {k: best_peer(rows, k, hi) for k, hi, _ in keys}
        for name, r in rows.items():
            if not isinstance(r, dict):
                continue
            if "na" in r:
                lines.append(f"{wl:<12} {name:<22} {r['na']}")
                continue
            cells = []
            for (k, hi, nd), w in zip(keys, (18, 14, 14, 16, 16)):
                best = bests[k]
                if wl == "routes-10k":    # compare with Gatehouse idle in the same run
                    best = rows.get("gatehouse (idle)", {}).get(k)
                cells.append(f"{fmt(r[k], nd) + ratio(r[k], best):>{w}}")
            lines.append(f"{wl:<12} {name:<22} " + " ".join(cells) + f" {r['errors']:>7}")
    return "\n".join(lines)


def verdicts(results):
    out = []
    p = results.get("proxy")
    if p and "gatehouse" in p and p["gatehouse"].get("rps"):
        g = p["gatehouse"]
        env = p.get("envoy", {}).get("rps")
        ngh = max([p[k]["rps"] for k in ("nginx", "haproxy") if p.get(k, {}).get("rps")] or [0])
        bp99 = best_peer(p, "p99_ms", False)
        out.append(f"proxy: req/s >= Envoy's: {'PASS' if env and g['rps'] >= env else 'FAIL'} ({g['rps']:.0f} vs {env and round(env)})")
        out.append(f"proxy: req/s >= 0.8x best of nginx/HAProxy: {'PASS' if ngh and g['rps'] >= 0.8 * ngh else 'FAIL'} ({g['rps'] / ngh if ngh else 0:.2f}x)")
        out.append(f"proxy: p99 <= best peer's: {'PASS' if bp99 and g['p99_ms'] <= bp99 else 'FAIL'} ({g['p99_ms']} vs {bp99} ms)")
    for wl in ("jwt", "policy"):
        w = results.get(wl)
        if w and w.get("gatehouse", {}).get("rps"):
            best = best_peer(w, "rps", True)
            g = w["gatehouse"]["rps"]
            out.append(f"{wl}: req/s >= best peer's: {'PASS' if best and g >= best else 'FAIL'} ({g / best if best else 0:.2f}x)")
    r = results.get("routes-10k")
    if r and "gatehouse (idle)" in r:
        i, b = r["gatehouse (idle)"], r["gatehouse (updating)"]
        out.append(f"routes-10k: zero failed requests: {'PASS' if b['errors'] == 0 and i['errors'] == 0 else 'FAIL'} ({i['errors']} idle, {b['errors']} updating)")
        if i.get("p99_ms") and b.get("p99_ms"):
            out.append(f"routes-10k: p99 within 10% of idle: {'PASS' if b['p99_ms'] <= 1.1 * i['p99_ms'] else 'FAIL'} ({b['p99_ms']} vs {i['p99_ms']} ms)")
    c = results.get("connections", {}).get("gatehouse")
    if c:
        out.append(f"connections: <= 10 KiB RSS per idle connection: {'PASS' if c['kib_per_conn'] is not None and c['kib_per_conn'] <= 10 else 'FAIL'} ({fmt(c['kib_per_conn'], 2)} KiB)")
        out.append(f"connections: idle RSS <= 64 MiB: {'PASS' if c['idle_rss_mib'] <= 64 else 'FAIL'} ({c['idle_rss_mib']:.1f} MiB)")
    return out


def chart(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = []
    for wl in ("proxy", "jwt", "policy", "routes-10k"):
        rows = {k: v for k, v in results.get(wl, {}).items() if isinstance(v, dict) and v.get("rps")}
        if rows:
            panels += [(f"{wl}: req/s", rows, "rps"), (f"{wl}: p99 ms", rows, "p99_ms"),
                       (f"{wl}: server CPU us/req", rows, "cpu_us_per_req")]
    c = {k: v for k, v in results.get("connections", {}).items() if v.get("kib_per_conn") is not None}
    if c:
        panels += [("connections: KiB RSS per idle conn", c, "kib_per_conn"), ("connections: idle RSS MiB", c, "idle_rss_mib")]
    if not panels:
        return
    cols = 3
    rws = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rws, cols, figsize=(5 * cols, 3.6 * rws), squeeze=False)
    for ax, (title, rows, key) in zip(axes.flat, panels):
        names = list(rows)
        vals = [rows[n][key] or 0 for n in names]
        colors = ["tab:orange" if n.startswith("gatehouse") else "tab:blue" for n in names]
        ax.bar(range(len(names)), vals, color=colors)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=15, fontsize=8)
        ax.set_title(title, fontsize=10)
        for i, v in enumerate(vals):
            ax.text(i, v, f"{v:,.1f}" if v < 100 else f"{v:,.0f}", ha="center", va="bottom", fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"Gatehouse vs peers — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    def ver(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip() or \
                subprocess.run(cmd, capture_output=True, text=True).stderr.splitlines()[0].strip()
        except Exception:
            return "?"
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": round(mem_kib / 1024 / 1024, 1),
            "kernel": platform.release(), "loadavg_at_start": os.getloadavg(),
            "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
            "haproxy": ver(["haproxy", "-v"]), "h2load": ver(["h2load", "--version"])}


# ---------------------------------------------------------------- main

PLACE = placement()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gatehouse", required=True)
    ap.add_argument("--envoy", required=True)
    ap.add_argument("--quick", action="store_true", help="one round, 5 s per run")
    ap.add_argument("--workload", action="append", choices=WORKLOADS)
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--duration", type=int)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--streams", type=int, default=16)
    ap.add_argument("--connections", type=int, default=10000)
    args = ap.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (5 if args.quick else 10)
    workloads = args.workload or WORKLOADS

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    RESULTS.mkdir(exist_ok=True)
    meta = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
            "placement": PLACE["text"], "args": vars(args)}

    upstream = Server("upstream", ["nginx", "-c", str(render("upstream-nginx.conf", "upstream.conf",
                                                             dict(WORK=WORK, UPSTREAM_PORT=PORTS["upstream"]))),
                                   "-e", str(WORK / "upstream-error.log")], PLACE["upstream"])
    gh = Gatehouse(args.gatehouse)
    peers = []
    try:
        wait_port(PORTS["upstream"], upstream)
        # First start creates the dev certificates every system uses; count Gatehouse's event loops.
        gh.start()
        threads = gh.srv.threads()
        loops = sum(1 for t in threads if re.match(r"NIO-(SGLTN|ELT)-\d+-#", t))
        workers = loops or 2
        gh.stop()
        certs = WORK / "certs"
        (WORK / "haproxy-bundle.pem").write_text((certs / "server.pem").read_text() + (certs / "server-key.pem").read_text())
        tokens = make_jwt_material()
        serve_issuer()
        meta["workers"] = (f"Gatehouse runs {loops} NIO event-loop threads ({len(threads)} threads in all); "
                           f"nginx worker_processes, HAProxy nbthread and Envoy --concurrency are set to {workers}")
        meta["load"] = (f"h2load -c {args.clients} -m {args.streams} -t 1 -D {args.duration} over TLS h2, "
                        f"{args.rounds} round(s), systems alternating (order rotated each round)")
        log(meta["placement"]); log(meta["workers"]); log(meta["load"])
        peers = [Peer(n, workers, args.envoy) for n in PEER_NAMES]

        results = {}
        for wl in workloads:
            log(f"--- workload {wl}")
            t = time.time()
            try:
                if wl == "proxy":
                    results[wl] = wl_proxy(args, gh, peers)
                elif wl == "jwt":
                    results[wl] = wl_jwt(args, gh, peers, tokens)
                elif wl == "policy":
                    results[wl] = wl_policy(args, gh, peers, tokens)
                elif wl == "routes-10k":
                    results[wl] = wl_routes(args, gh, peers)
                elif wl == "connections":
                    results[wl] = wl_connections(args, gh, peers)
                elif wl == "runtimes":
                    results[wl] = wl_runtimes(args, gh, peers)
            except Exception as e:   # one broken workload must not lose the others
                log(f"workload {wl} failed: {e!r}")
                results[wl] = {"error": repr(e)}
                stop_all([gh] + peers)
            log(f"--- workload {wl} took {time.time() - t:.0f} s")
    finally:
        stop_all([gh] + peers)
        upstream.stop()

    meta["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    txt = table({k: v for k, v in results.items() if "error" not in v}, meta)
    checks = verdicts(results)
    print()
    print(f"Gatehouse bench — {meta['started']} — {meta['machine']['nproc']} cores ({meta['machine']['cpu']}), "
          f"{meta['machine']['mem_gib']} GiB")
    print(f"placement: {meta['placement']}")
    print(f"workers: {meta['workers']}")
    print(f"load: {meta['load']}; upstream: nginx, 1 worker, fixed 100-byte body, HTTP/1.1 keep-alive")
    print("ratios: each figure / the best peer's in the same run (routes-10k: / Gatehouse idle); medians over rounds, peak RSS = max VmHWM")
    print()
    print(txt)
    for wl, v in results.items():
        if "error" in v:
            print(f"{wl:<12} FAILED: {v['error']}")
    print()
    for c in checks:
        print("target", c)
    out = {"meta": meta, "results": results, "table": txt, "targets": checks}
    (RESULTS / "latest.json").write_text(json.dumps(out, indent=1, default=str))
    try:
        chart(results, RESULTS / "latest.png")
    except Exception as e:
        log(f"chart failed: {e!r}")
    print(f"\nwrote {RESULTS / 'latest.json'} and {RESULTS / 'latest.png'}")


if __name__ == "__main__":
    main()
