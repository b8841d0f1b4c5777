"""Gatehouse's python3 worker: loads the function's handler and serves it over HTTP/1.1 on the
Unix socket named by GATEHOUSE_SOCKET, one request at a time (Gatehouse sends a worker one
invocation at a time). Standard library only.

    bootstrap.py MODULE FUNCTION      (handler "main.handle" -> module "main", function "handle")

http mode:      handle(request) -> str | bytes | dict/list (JSON) | (status, headers, body) | None
envelope mode:  handle(context, payload) -> any JSON-serialisable value
An exception answers 500 with `x-gatehouse-function-error`; its traceback goes to stderr, which
Gatehouse records in the run's logs.
"""
import importlib
import json
import os
import socket
import sys
import traceback

MAX_HEAD = 64 * 1024


class Request:
    """What an http-mode handler receives."""

    def __init__(self, method, target, headers, body):
        self.method = method
        path, _, query = target.partition("?")
        self.path = path
        self.query = query
        self.headers = headers  # lowercased names; repeated fields joined with ", "
        self.body = body

    def json(self):
        return json.loads(self.body or b"null")

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def load_handler():
    module_name, function_name = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise SystemExit("handler %s.%s is not a function" % (module_name, function_name))
    return handler


def read_request(conn, buffer):
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return None, buffer
        buffer += chunk
        if len(buffer) > MAX_HEAD and b"\r\n\r\n" not in buffer:
            raise ValueError("request head too large")
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        headers[name] = headers[name] + ", " + value if name in headers else value
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = conn.recv(max(65536, length - len(rest)))
        if not chunk:
            return None, b""
        rest += chunk
    return (method, target, headers, rest[:length]), rest[length:]


def shape(result):
    """A handler's return value as (status, headers, body bytes)."""
    status, headers = 200, {}
    if isinstance(result, tuple):
        if len(result) == 3:
            status, headers, result = result
        elif len(result) == 2:
            status, result = result
        headers = dict(headers or {})
    if result is None:
        body = b""
    elif isinstance(result, bytes):
        body = result
        headers.setdefault("content-type", "application/octet-stream")
    elif isinstance(result, str):
        body = result.encode()
        headers.setdefault("content-type", "text/plain; charset=utf-8")
    else:
        body = json.dumps(result).encode()
        headers.setdefault("content-type", "application/json")
    return int(status), headers, body


def respond(conn, status, headers, body):
    lines = ["HTTP/1.1 %d X" % status]
    for name, value in headers.items():
        if name.lower() in ("content-length", "transfer-encoding", "connection"):
            continue
        lines.append("%s: %s" % (name, str(value).replace("\r", " ").replace("\n", " ")))
    lines.append("content-length: %d" % len(body))
    # Whatever the handler printed is in the pipes before the response leaves: Gatehouse drains
    # them once it has the response, and so records them with this invocation.
    sys.stdout.flush()
    sys.stderr.flush()
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def serve(handler):
    path = os.environ["GATEHOUSE_SOCKET"]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    while True:
        conn, _ = listener.accept()
        buffer = b""
        with conn:
            while True:
                try:
                    request, buffer = read_request(conn, buffer)
                except ValueError as error:
                    respond(conn, 400, {"x-gatehouse-function-error": str(error)}, b"")
                    break
                if request is None:
                    break
                method, target, headers, body = request
                try:
                    if headers.get("x-gatehouse-mode") == "envelope":
                        envelope = json.loads(body)
                        status, out_headers, out = 200, {"content-type": "application/json"}, json.dumps(
                            handler(envelope["context"], envelope["payload"])).encode()
                    else:
                        status, out_headers, out = shape(handler(Request(method, target, headers, body)))
                except Exception as error:  # the function's failure, reported, never fatal
                    traceback.print_exc()
                    message = ("%s: %s" % (type(error).__name__, error)).replace("\r", " ").replace("\n", " ")[:500]
                    status, out_headers, out = 500, {"x-gatehouse-function-error": message}, b""
                respond(conn, status, out_headers, out)


if __name__ == "__main__":
    serve(load_handler())
