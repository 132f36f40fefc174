"""A real HTTP receiver on 127.0.0.1 (ephemeral port, own thread) that records what it gets and
answers what the test tells it to."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Receiver:
    url: str
    requests: list = field(default_factory=list)
    # (status, body) answers given in turn; the last one repeats.
    answers: list = field(default_factory=lambda: [(200, b'{"errcode": 0, "errmsg": "ok"}')])

    def answer(self, status: int, body: bytes | dict = b"") -> None:
        self.answers = [(status, json.dumps(body).encode() if isinstance(body, dict) else body)]

    def next_answer(self) -> tuple[int, bytes]:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, answer = state.next_answer()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
