"""A small real HTTP/1.1 upstream for the end-to-end tests (run as a subprocess).

`python upstream.py` binds 127.0.0.1:0, prints the port on its first line of stdout, and
serves until killed. Persistent connections (HTTP/1.1 keep-alive) and chunked request bodies
are supported, as a real function behind Gatehouse would see them.

Endpoints, matched on the *end* of the path so that any function base path can sit in front
(`/base/slow?ms=5` is `/slow`):

- anything else      echoes the request as JSON (see `echo_document`)
- `.../slow?ms=N`    sleeps N ms, then echoes
- `.../status/CODE`  answers CODE with the echo document
- `.../big?bytes=N`  streams N bytes of `PATTERN` chunked (64 KiB chunks)
- `.../stream?chunks=N&interval_ms=M`  N chunks, M ms apart; each is one JSON line
                     `{"i": i, "sentAt": <unix time>}` padded to 1 KiB
- `/__stats`         `{"received": n, "inflight": [tags of requests in progress]}`
- `/__log`           with `--log`: every other request received, in order, as
                     `{"method", "path", "connection", "org", "contentLength", "transferEncoding",
                     "bodyLength", "bodySha256"}` (`connection` is the client's port, one per
                     TCP connection); `/__log?clear=1` also empties it. Counting requests here is
                     how the smuggling tests see what really reached an upstream.

Every echo carries `X-Upstream: echo`, so a client can tell the answer came from here.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BLOCK = bytes(range(256)) * 256  # 64 KiB; /big repeats it
_lock = threading.Lock()
_received = 0
_inflight: dict[int, str] = {}
_log: list[dict] | None = None  # with --log


def big_body_sha256(n: int) -> str:
    """The sha256 of the first n bytes `/big?bytes=n` sends (tests use it to check bodies)."""
    h = hashlib.sha256()
    while n > 0:
        piece = BLOCK[: min(n, len(BLOCK))]
        h.update(piece)
        n -= len(piece)
    return h.hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "e2e-upstream/1"
    timeout = 120  # an idle keep-alive connection is dropped after this
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the
    # peer's delayed ACK would add ~40 ms to every response and hide the gateway's own latency.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - quiet: the tests read responses
        pass

    # Every method goes through one dispatcher.
    def do_GET(self):
        self.dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def read_body(self) -> tuple[int, str]:
        h = hashlib.sha256()
        length = 0
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("eof in chunked body")
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                remaining = size
                while remaining:
                    data = self.rfile.read(min(remaining, 1 << 16))
                    if not data:
                        raise ConnectionError("eof in chunk")
                    h.update(data)
                    length += len(data)
                    remaining -= len(data)
                self.rfile.readline(3)  # CRLF after the chunk
        else:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining:
                data = self.rfile.read(min(remaining, 1 << 16))
                if not data:
                    raise ConnectionError("eof in body")
                h.update(data)
                length += len(data)
                remaining -= len(data)
        return length, h.hexdigest()

    def echo_document(self, length: int, digest: str) -> dict:
        headers: dict[str, str] = {}
        header_list = []
        for name, value in self.headers.raw_items():
            lname = name.lower()
            header_list.append([lname, value])
            headers[lname] = f"{headers[lname]}, {value}" if lname in headers else value
        return {
            "method": self.command,
            "path": self.path,
            "httpVersion": self.request_version,
            "headers": headers,
            "headerList": header_list,
            "bodyLength": length,
            "bodySha256": digest,
        }

    def dispatch(self):
        global _received
        tag = ""
        try:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            tag = query.get("tag", "")
            with _lock:
                _received += 1
                _inflight[threading.get_ident()] = tag
            length, digest = self.read_body()
            path = url.path

            if path == "/__log":
                with _lock:
                    doc = list(_log or [])
                    if query.get("clear") and _log is not None:
                        _log.clear()
                return self.send_json(200, {"requests": doc})
            if _log is not None and not path.startswith("/__"):
                with _lock:
                    _log.append({
                        "method": self.command, "path": self.path, "connection": self.client_address[1],
                        "org": self.headers.get("x-gatehouse-org"), "contentLength": self.headers.get("Content-Length"),
                        "transferEncoding": self.headers.get("Transfer-Encoding"), "bodyLength": length,
                        "bodySha256": digest,
                    })
            if path == "/__stats":
                with _lock:
                    doc = {"received": _received, "inflight": sorted(t for t in _inflight.values() if t)}
                return self.send_json(200, doc)
            if path.endswith("/slow") or path == "/slow":
                time.sleep(int(query.get("ms", "1000")) / 1000)
                return self.send_json(200, self.echo_document(length, digest))
            m = re.search(r"/status/(\d{3})$", path)
            if m:
                return self.send_json(int(m.group(1)), self.echo_document(length, digest))
            if path.endswith("/big"):
                return self.send_big(int(query.get("bytes", "1048576")))
            if path.endswith("/stream"):
                return self.send_stream(int(query.get("chunks", "5")), int(query.get("interval_ms", "200")))
            return self.send_json(200, self.echo_document(length, digest))
        except (BrokenPipeError, ConnectionError, TimeoutError, OSError):
            self.close_connection = True
        finally:
            with _lock:
                _inflight.pop(threading.get_ident(), None)

    def send_json(self, status: int, doc: dict):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("X-Upstream", "echo")
        if status in (204, 304) or 100 <= status < 200:
            self.end_headers()
            return
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_chunk(self, data: bytes):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def send_big(self, n: int):
        self.send_response(200)
        self.send_header("X-Upstream", "echo")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while n > 0:
            piece = BLOCK[: min(n, len(BLOCK))]
            self.send_chunk(piece)
            n -= len(piece)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def send_stream(self, chunks: int, interval_ms: int):
        self.send_response(200)
        self.send_header("X-Upstream", "echo")
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        for i in range(chunks):
            if i:
                time.sleep(interval_ms / 1000)
            line = json.dumps({"i": i, "sentAt": time.time()})
            self.send_chunk((line + " " * (1023 - len(line)) + "\n").encode())
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True


def main() -> None:
    global _log
    args = [a for a in sys.argv[1:] if a != "--log"]
    if "--log" in sys.argv[1:]:
        _log = []
    server = Server(("127.0.0.1", int(args[0]) if args else 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
