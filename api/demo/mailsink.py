"""The demo's throw-away SMTP server: on 127.0.0.1 for the demo's duration, it writes each letter
the outbox sends as an .eml file, so the user can read what the system would have mailed.

Built on the standard library (no runtime dependency for a demo): it speaks just the SMTP our
own `deliver` uses — EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH.
"""

import os
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from models.settings import get_settings

MAX_LINE = 65536
# The user's own mail settings must not reach the demo: its letters go to the sink only.
SMTP_VARIABLES = (
    "INFOAUDIT_SMTP_HOST",
    "INFOAUDIT_SMTP_PORT",
    "INFOAUDIT_SMTP_USER",
    "INFOAUDIT_SMTP_PASSWORD",
    "INFOAUDIT_SMTP_STARTTLS",
    "INFOAUDIT_MAIL_FROM",
)


class MailSink(socketserver.ThreadingTCPServer):
    """Accepts every letter and writes it to `directory` as NNN.eml."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, directory: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.directory = directory
        self.count = 0
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        port: int = self.server_address[1]
        return port

    def store(self, data: bytes) -> None:
        with self._lock:
            self.count += 1
            (self.directory / f"{self.count:03d}.eml").write_bytes(data)


class _Session(socketserver.StreamRequestHandler):
    server: MailSink

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        self._reply("220 infoaudit-demo ESMTP")
        while line := self.rfile.readline(MAX_LINE):
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-infoaudit-demo\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self._reply("250 OK")
            elif verb == b"DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                self.server.store(self._read_data())
                self._reply("250 OK: written")
            elif verb == b"QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")

    def _read_data(self) -> bytes:
        lines: list[bytes] = []
        while (line := self.rfile.readline(MAX_LINE)) and line.rstrip(b"\r\n") != b".":
            lines.append(line[1:] if line.startswith(b"..") else line)  # RFC 5321 dot-stuffing
        return b"".join(lines)


@contextmanager
def demo_mail(directory: Path) -> Iterator[MailSink]:
    """Run the sink and point the settings at it (the environment's SMTP settings set aside)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.eml"):  # the letters of a previous run
        stale.unlink()
    sink = MailSink(directory)
    thread = threading.Thread(target=sink.serve_forever, name="demo-smtp", daemon=True)
    thread.start()
    saved = {name: os.environ.pop(name) for name in SMTP_VARIABLES if name in os.environ}
    os.environ["INFOAUDIT_SMTP_HOST"] = "127.0.0.1"
    os.environ["INFOAUDIT_SMTP_PORT"] = str(sink.port)
    os.environ["INFOAUDIT_MAIL_FROM"] = "infoaudit@demo.example.org"
    get_settings.cache_clear()
    try:
        yield sink
    finally:
        for name in SMTP_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(saved)
        get_settings.cache_clear()
        sink.shutdown()
        sink.server_close()
