"""Real peers on loopback for the outbound channels: an SMTP server and a recording HTTP server."""

from __future__ import annotations

import email
import json
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.live import free_port


@dataclass
class SmtpPeer:
    """An aiosmtpd server; `messages` holds what arrived, parsed."""

    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        msg = email.message_from_bytes(envelope.content)
        msg["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in m["X-Envelope-To"].split(",")]

    @staticmethod
    def body(msg: Message) -> str:
        part = msg.get_body(("plain",)) if hasattr(msg, "get_body") else None
        payload = (part or msg).get_payload(decode=True)
        return payload.decode() if isinstance(payload, bytes) else str(msg.get_payload())


class smtp_server:
    """Context manager: starts aiosmtpd on a free port, yields the SmtpPeer, stops it."""

    def __enter__(self) -> SmtpPeer:
        self.peer = SmtpPeer(port=free_port())
        self.controller = Controller(self.peer, hostname="127.0.0.1", port=self.peer.port)
        self.controller.start()
        return self.peer

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class http_peer:
    """Context manager: a threaded HTTP server recording every POST; answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[Recorded] = []

    def __enter__(self) -> "http_peer":
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                peer.requests.append(Recorded(self.path, dict(self.headers), self.rfile.read(length)))
                self.send_response(peer.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
