#!/usr/bin/env python3
"""Repro of the edge hang found by routes-10k (see bench/README.md): ORGS orgs x 10 routes, each org
with its own http function, all pointing at the same upstream URL; h2load (-c 64 -m 16, 3 s) four times
over URLS routes. Each run ends with ~1,024 streams in flight that h2load abandons. With 1 function every
run completes; with 10 or 100 functions the third run gets 0 responses (all streams hang).

  bench/.venv/bin/python bench/repro-edge-hang.py 10 10 "$(swift build -c release --scratch-path .build-bench --show-bin-path)/gatehouse"
"""
import sys, asyncio, time
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
import bench
from pathlib import Path
bench.WORK = bench.RESULTS / "repro.tmp"; W = bench.WORK
import shutil; shutil.rmtree(W, ignore_errors=True); W.mkdir(parents=True)
orgs = int(sys.argv[1]); nurls = int(sys.argv[2])
up = bench.Server("upstream", ["nginx","-c",str(bench.render("upstream-nginx.conf","upstream.conf",dict(WORK=W,UPSTREAM_PORT=bench.PORTS["upstream"]))),"-e",str(W/"up-err.log")], bench.PLACE["upstream"])
bench.wait_port(bench.PORTS["upstream"], up)
gh = bench.Gatehouse(sys.argv[3])
try:
    gh.start()
    asyncio.run(bench._populate(gh, orgs, 10)); gh.wait_route(f"/o{orgs-1}/r9")
    urls = [f"https://127.0.0.1:{bench.PORTS['gatehouse']}/o{(i*37)%orgs}/r{i%9}" for i in range(nurls)]
    for i in range(4):
        r = bench.h2load(urls, 3, 64, 16, tag="h")
        print(orgs, nurls, "run", i, r["rps"], r["done"], r.get("started"), flush=True)
finally:
    gh.stop(); up.stop()
