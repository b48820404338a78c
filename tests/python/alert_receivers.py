"""The two alert receivers at the true external boundary: a real HTTP server on 127.0.0.1 that
records each POST (as a Slack/Teams/ntfy webhook would receive it), and a fake ``sendmail`` script
on PATH that records the message it is given on stdin (as the local MTA would)."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class WebhookReceiver:
    """``url`` embeds a token in its path, like a real incoming-webhook URL."""

    TOKEN = "T0KEN-s3cr3t-9f8e7d"

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.status == 200 and self.path == f"/hooks/{receiver.TOKEN}":
                    receiver.posts.append({"content_type": self.headers.get("Content-Type"), "json": json.loads(body)})
                    self.send_response(200)
                else:
                    self.send_response(receiver.status if receiver.status != 200 else 404)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/{self.TOKEN}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def texts(self) -> list[str]:
        return [p["json"]["text"] for p in self.posts]


def fake_sendmail(bin_dir: Path, outbox: Path, exit_code: int = 0) -> Path:
    """A ``sendmail`` on PATH that appends each message (stdin) and its arguments to ``outbox``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "sendmail"
    script.write_text(
        f'#!/bin/sh\n{{ echo "ARGS: $*"; cat; echo "----- END -----"; }} >> "{outbox}"\nexit {exit_code}\n'
    )
    script.chmod(0o755)
    return script


def mails(outbox: Path) -> list[str]:
    if not outbox.exists():
        return []
    return [m for m in outbox.read_text().split("----- END -----\n") if m.strip()]


def path_with(bin_dir: Path) -> str:
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
