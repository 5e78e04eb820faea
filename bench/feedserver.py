"""A loopback feed server in its own process: N feeds, each answering after a fixed delay, with ETags."""

from __future__ import annotations

import hashlib
import multiprocessing
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def feed_body(n: int, items: int = 10) -> bytes:
    entries = "".join(
        f"<item><title>Новость {n}-{i}: КАМАЗ нарастил выпуск тягачей</title>"
        f"<link>https://bench.example/feed{n}/news{i}</link><guid>feed{n}-{i}</guid>"
        f"<pubDate>Mon, 02 Feb 2026 09:{i:02d}:00 +0300</pubDate>"
        f"<description>ПАО «КАМАЗ» в январе увеличило выпуск магистральных тягачей на {i}% в Набережных Челнах. "
        f"Компания локализовала производство кабин и двигателей.</description></item>" for i in range(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Лента {n}</title>'
            f"<link>https://bench.example/feed{n}</link>{entries}</channel></rss>").encode()


def _serve(port: int, delay: float, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    bodies: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body go out in two writes; with Nagle on, the body waits for the client's
        # delayed ACK (40 ms on Linux), a cost of this little server that real web servers do not have
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            time.sleep(delay)
            n = int(self.path.strip("/").removeprefix("feed") or 0)
            body = bodies.setdefault(self.path, feed_body(n))
            etag = '"' + hashlib.md5(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 256
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ready.set()
    server.serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(delay: float) -> tuple[multiprocessing.Process, int]:
    port = free_port()
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=_serve, args=(port, delay, ready), daemon=True)
    proc.start()
    ready.wait(10)
    return proc, port
