"""Hostile HTTP/2 at the frame level (hyperframe + hpack, no client library smoothing things
over): each attack ends in a clean connection or stream error — GOAWAY or RST_STREAM with the
right code, or a closed connection — never a crash or a hang, and the server keeps serving."""

from __future__ import annotations

import socket
import ssl
import time

import hpack
import pytest
from hyperframe.frame import (
    ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame,
)

from harness import check, ssl_context, uniq

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
PROTOCOL_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, COMPRESSION_ERROR, ENHANCE_YOUR_CALM = 0x1, 0x3, 0x6, 0x9, 0xB


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


@pytest.fixture(scope="module")
def route(gh, upstream):
    return gh.publish(upstream.url, ["/echo"]).path("/echo")


class RawH2:
    """One TLS connection speaking HTTP/2 frame by frame."""

    def __init__(self, gh):
        host, port = gh.public_addr.rsplit(":", 1)
        raw = socket.create_connection((host, int(port)), timeout=10)
        self.sock = ssl_context(gh.ca, alpn=["h2"]).wrap_socket(raw, server_hostname=host)
        assert self.sock.selected_alpn_protocol() == "h2"
        self.encoder = hpack.Encoder()
        self.buffer = b""
        self.sock.sendall(PREFACE + SettingsFrame(0).serialize())
        self.authority = gh.public_addr

    def send(self, *frames: Frame | bytes) -> None:
        try:
            self.sock.sendall(b"".join(f if isinstance(f, bytes) else f.serialize() for f in frames))
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the server may close while we are still sending: that is a valid answer

    def headers(self, stream_id: int, path: str, end_stream: bool = True, extra=()) -> HeadersFrame:
        block = self.encoder.encode(
            [(":method", "GET"), (":scheme", "https"), (":authority", self.authority), (":path", path), *extra])
        flags = ["END_HEADERS"] + (["END_STREAM"] if end_stream else [])
        return HeadersFrame(stream_id, data=block, flags=flags)

    def frames(self, timeout: float = 10):
        """Frames until the server closes the connection or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) < 9 + length:
                    break
                frame, _ = Frame.parse_frame_header(memoryview(self.buffer[:9]))
                frame.parse_body(memoryview(self.buffer[9:9 + length]))
                self.buffer = self.buffer[9 + length:]
                yield frame
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return
            except (ConnectionResetError, ssl.SSLError, OSError):
                data = b""
            if not data:
                yield None  # closed
                return
            self.buffer += data

    def outcome(self, timeout: float = 10):
        """The first GOAWAY (code), or 'closed', or the RST_STREAM codes seen, or None."""
        resets = []
        for frame in self.frames(timeout):
            if frame is None:
                return ("closed", resets)
            if isinstance(frame, GoAwayFrame):
                return ("goaway", frame.error_code)
            if isinstance(frame, RstStreamFrame):
                resets.append(frame.error_code)
        return ("open", resets)

    def close(self):
        self.sock.close()


def still_serving(gh, route):
    with gh.client("h2") as client:
        check(client.get(route), 200)


def test_settings_on_a_stream_is_a_protocol_error(gh, route):
    c = RawH2(gh)
    c.send(b"\x00\x00\x08\x99\x00\x00\x00\x00\x00" + b"x" * 8)  # an unknown frame type is ignored (§5.5)
    c.send(b"\x00\x00\x00\x04\x00\x00\x00\x00\x01")  # SETTINGS on stream 1: PROTOCOL_ERROR (§6.5)
    kind, detail = c.outcome()
    assert (kind, detail) == ("goaway", PROTOCOL_ERROR), (kind, detail)
    c.close()
    still_serving(gh, route)


def test_garbage_instead_of_frames_ends_the_connection(gh, route):
    c = RawH2(gh)
    c.send(b"\xff" * 64)  # reads as a frame of 16 MB: FRAME_SIZE_ERROR
    kind, detail = c.outcome()
    assert kind == "closed" or (kind == "goaway" and detail in (FRAME_SIZE_ERROR, PROTOCOL_ERROR)), (kind, detail)
    c.close()
    still_serving(gh, route)


def test_oversized_frame_is_a_frame_size_error(gh, route):
    c = RawH2(gh)
    c.send((20000).to_bytes(3, "big") + b"\x00\x00\x00\x00\x00\x01" + b"\x00" * 20000)  # DATA > 16384 max
    kind, detail = c.outcome()
    assert kind in ("goaway", "closed"), (kind, detail)
    if kind == "goaway":
        assert detail == FRAME_SIZE_ERROR, detail
    c.close()
    still_serving(gh, route)


def test_rapid_reset_flood_is_cut_off(gh, route):
    """CVE-2023-44487: open and reset streams as fast as possible."""
    c = RawH2(gh)
    frames = []
    for i in range(60000):
        sid = 1 + 2 * i
        frames.append(c.headers(sid, route).serialize())
        frames.append(RstStreamFrame(sid, error_code=0x8).serialize())
        if len(frames) >= 2000:
            c.send(b"".join(frames))
            frames = []
    c.send(b"".join(frames))
    kind, detail = c.outcome(timeout=15)
    assert kind in ("goaway", "closed"), f"a rapid-reset flood of 60,000 streams was not cut off: {kind} {detail}"
    if kind == "goaway":
        assert detail in (ENHANCE_YOUR_CALM, PROTOCOL_ERROR), detail
    c.close()
    still_serving(gh, route)


def test_endless_continuation_is_cut_off(gh, route):
    """CONTINUATION flood: a header block that never ends must not be buffered forever."""
    c = RawH2(gh)
    head = c.headers(1, route)
    c.send(HeadersFrame(1, data=head.data, flags=[]))  # no END_HEADERS
    chunk = c.encoder.encode([("x-filler", "a" * 8000)])
    for _ in range(2000):  # 16 MB of header block if nobody stops it
        c.send(ContinuationFrame(1, data=chunk, flags=[]))
        if c.sock.fileno() < 0:
            break
    kind, detail = c.outcome(timeout=15)
    assert kind in ("goaway", "closed"), (kind, detail)
    c.close()
    still_serving(gh, route)


def test_bad_header_names_reset_the_stream_not_the_server(gh, route):
    c = RawH2(gh)
    c.send(c.headers(1, route, extra=[("X-Upper", "1")]))  # uppercase names are malformed in HTTP/2
    kind, detail = c.outcome(timeout=5)
    assert (kind == "open" and PROTOCOL_ERROR in detail) or kind in ("goaway", "closed"), (kind, detail)
    c.close()
    still_serving(gh, route)


def test_window_overflow_is_a_flow_control_error(gh, route):
    c = RawH2(gh)
    c.send(WindowUpdateFrame(0, window_increment=2**31 - 1), WindowUpdateFrame(0, window_increment=2**31 - 1))
    kind, detail = c.outcome()
    assert (kind, detail) == ("goaway", FLOW_CONTROL_ERROR), (kind, detail)
    c.close()
    still_serving(gh, route)


def test_header_block_that_does_not_decode_is_a_compression_error(gh, route):
    c = RawH2(gh)
    c.send(HeadersFrame(1, data=b"\xff\xff\xff\xff\xff\xff", flags=["END_HEADERS", "END_STREAM"]))
    kind, detail = c.outcome()
    assert (kind, detail) == ("goaway", COMPRESSION_ERROR), (kind, detail)
    c.close()
    still_serving(gh, route)


def test_data_beyond_the_stream_window_is_refused(gh, route):
    """A client that ignores flow control cannot make the server buffer without bound."""
    c = RawH2(gh)
    c.send(c.headers(1, route, end_stream=False))
    payload = b"z" * 16384
    for _ in range(200):  # 3.2 MB: far beyond the 1 MiB stream window the edge advertises
        c.send(DataFrame(1, data=payload))
    kind, detail = c.outcome(timeout=10)
    assert kind in ("goaway", "closed") or FLOW_CONTROL_ERROR in detail, (kind, detail)
    c.close()
    still_serving(gh, route)
