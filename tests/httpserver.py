"""A real HTTP(S) server on 127.0.0.1 (or ::1) for tests: a folder of files plus programmable routes.

    from tests.httpserver import LocalServer, Reply

    with LocalServer(root=SHARED_CORPUS) as server:           # port 0: the system picks one
        server.url("/feeds/some.xml")                         # "http://127.0.0.1:PORT/feeds/some.xml"
        server.route("/hello", Reply.text("hi", headers={"ETag": '"v1"'}))
        server.route("/flaky", [Reply(500), Reply(200, b"ok")])  # in turn; the last one repeats
        server.route("/echo", lambda request: Reply.text(request.headers["User-Agent"]))
        server.route("/old", Reply.redirect("/hello"))
        server.route("/slow", Reply.drip(b"x" * 50, every=0.2))  # one byte every 0.2 s
        ...
        server.requests             # every Request seen, in order: method, path, query, headers
        server.requests_to("/hello")
        server.peak_concurrency     # most requests in flight at once; peak_concurrency_of("/slow")

Files (when `root` is given): GET or HEAD of /a/b.xml serves root/a/b.xml with a Content-Type
guessed from the extension (feeds included), an ETag (hash of the content) and Last-Modified
(the file's mtime), and answers 304 to a matching If-None-Match or If-Modified-Since. A path
that leaves the root, or names no file, is 404.

Routes are checked before files, on the exact path (the query string is ignored). A route is a
`Reply`, a list of Replies served in turn (the last repeats), or a callable(Request) -> Reply.
A route may be replaced at any time; `clear_routes()` and `reset()` start afresh.

Reply(status=200, body=b"", headers={}): a bytes body is sent with Content-Length. A callable
body returns an iterable of byte chunks, written and flushed one by one (sleep inside it to
drip); the connection then closes at its end unless the headers declare a Content-Length.
Helpers: Reply.text(str), Reply.redirect(location, status=302), Reply.gzip(bytes),
Reply.drip(bytes, every=seconds).

IPv6: LocalServer(host="::1") listens on the IPv6 loopback; url() brackets the address.

TLS: LocalServer(tls=(certfile, keyfile)) serves https on the same API; `server.sni_names`
lists the TLS server names clients sent. `make_certificates(folder, "localhost")` writes a
throwaway CA and a certificate for that name with the openssl command line.

The server runs in a daemon thread (ThreadingHTTPServer, HTTP/1.1 keep-alive) and stops when
the `with` block ends; handlers still dripping to a client that went away end quietly.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import mimetypes
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

FEED_TYPES = {
    ".xml": "application/xml", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml", ".json": "application/json", ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: HTTPMessage  # case-insensitive: request.headers["user-agent"]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | Callable[[], Iterable[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8",
             headers: dict[str, str] | None = None) -> Reply:
        return cls(status, text.encode("utf-8"), {"Content-Type": content_type, **(headers or {})})

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, b"", {"Location": location})

    @classmethod
    def gzip(cls, body: bytes, headers: dict[str, str] | None = None) -> Reply:
        return cls(200, gzip.compress(body), {"Content-Encoding": "gzip", **(headers or {})})

    @classmethod
    def drip(cls, body: bytes, every: float, headers: dict[str, str] | None = None) -> Reply:
        """A 200 whose body arrives one byte every `every` seconds (Content-Length declared)."""
        def chunks() -> Iterable[bytes]:
            for byte in body:
                time.sleep(every)
                yield bytes([byte])
        return cls(200, chunks, {"Content-Length": str(len(body)), **(headers or {})})


Route = Reply | Sequence[Reply] | Callable[[Request], Reply]


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 serving `root` and programmable routes (see the module doc)."""

    def __init__(self, root: Path | str | None = None, tls: tuple[Path | str, Path | str] | None = None,
                 host: str = "127.0.0.1"):
        self.host = host
        self.root = Path(root).resolve() if root is not None else None
        self.requests: list[Request] = []
        self.sni_names: list[str | None] = []
        self._routes: dict[str, Callable[[Request], Reply]] = {}
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._peaks: Counter[str] = Counter()
        self._http = (_Server6 if ":" in host else _Server)((host, 0), _Handler)
        self._http.owner = self
        self.scheme = "https" if tls else "http"
        if tls:
            self._serve_tls(*tls)
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # lifecycle

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    @property
    def port(self) -> int:
        return self._http.server_address[1]

    @property
    def base_url(self) -> str:
        return self.url("")

    def url(self, path: str = "/", host: str | None = None) -> str:
        """The full URL of `path`; `host` may be another name for this machine, such as "localhost"."""
        host = host or self.host
        return f"{self.scheme}://{f'[{host}]' if ':' in host else host}:{self.port}{path}"

    # routes

    def route(self, path: str, route: Route) -> None:
        self._routes[path] = _as_handler(route)

    def clear_routes(self) -> None:
        self._routes.clear()

    def reset(self) -> None:
        """Forget routes, recorded requests and concurrency peaks."""
        with self._lock:
            self._routes.clear()
            self.requests.clear()
            self.sni_names.clear()
            self._peaks.clear()

    # what happened

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    @property
    def peak_concurrency(self) -> int:
        return self._peaks["*"]

    def peak_concurrency_of(self, path: str) -> int:
        return self._peaks[path]

    # internals used by the handler

    def _reply_to(self, request: Request) -> Reply:
        handler = self._routes.get(request.path)
        if handler is not None:
            return handler(request)
        return self._file_reply(request)

    def _enter(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
            for key in ("*", request.path):
                self._in_flight[key] += 1
                self._peaks[key] = max(self._peaks[key], self._in_flight[key])

    def _leave(self, request: Request) -> None:
        with self._lock:
            for key in ("*", request.path):
                self._in_flight[key] -= 1

    def _file_reply(self, request: Request) -> Reply:
        path = self._file_for(request.path)
        if path is None:
            return Reply.text("not found", status=404)
        content = path.read_bytes()
        etag = '"' + hashlib.sha256(content).hexdigest()[:16] + '"'
        modified = email.utils.formatdate(int(path.stat().st_mtime), usegmt=True)
        headers = {"ETag": etag, "Last-Modified": modified, "Content-Type": _content_type(path)}
        if _still_fresh(request.headers, etag, path.stat().st_mtime):
            return Reply(304, b"", {"ETag": etag, "Last-Modified": modified})
        return Reply(200, content, headers)

    def _file_for(self, url_path: str) -> Path | None:
        if self.root is None:
            return None
        candidate = (self.root / unquote(url_path).lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def _serve_tls(self, certfile: Path | str, keyfile: Path | str) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)
        context.sni_callback = lambda _socket, name, _context: self.sni_names.append(name)
        # The handshake happens in the handler's thread, so a slow or failing client blocks no one.
        self._http.socket = context.wrap_socket(self._http.socket, server_side=True,
                                                do_handshake_on_connect=False)


def make_certificates(folder: Path, hostname: str) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for `hostname` signed by it: (ca.pem, cert.pem, key.pem)."""
    names = ("ca.key", "ca.pem", "key.pem", "req.csr", "cert.pem")
    ca_key, ca, key, csr, cert = (folder / name for name in names)
    extensions = folder / "extensions.cnf"
    extensions.write_text(
        f"subjectAltName=DNS:{hostname}\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid,issuer\nsubjectKeyIdentifier=hash\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    _openssl("req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={hostname}")
    _openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
             "-days", "2", "-extfile", extensions)
    return ca, cert, key


def _openssl(*args: object) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=30)


def _as_handler(route: Route) -> Callable[[Request], Reply]:
    if isinstance(route, Reply):
        return lambda request: route
    if callable(route):
        return route
    replies = list(route)
    served = iter(range(len(replies)))
    lock = threading.Lock()

    def in_turn(request: Request) -> Reply:
        with lock:
            return replies[next(served, len(replies) - 1)]
    return in_turn


def _content_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0]
    return FEED_TYPES.get(path.suffix.lower()) or guessed or "application/octet-stream"


def _still_fresh(headers: HTTPMessage, etag: str, mtime: float) -> bool:
    """Whether the client's copy (If-None-Match, else If-Modified-Since) is current."""
    wanted = headers.get("If-None-Match")
    if wanted is not None:
        tags = {tag.strip() for tag in wanted.split(",")}
        return etag in tags or "*" in tags
    since = headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return int(mtime) <= email.utils.parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LocalServer

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            return  # clients that hang up (deadline tests, refused certificates) are expected here
        super().handle_error(request, client_address)  # a broken route: show its traceback


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, TimeoutError):
            pass  # the client went away mid-reply

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, send_body: bool) -> None:
        parts = urlsplit(self.path)
        request = Request(self.command, parts.path, parts.query, self.headers)
        owner = self.server.owner
        owner._enter(request)
        try:
            self._send(owner._reply_to(request), send_body)
        finally:
            owner._leave(request)

    def _send(self, reply: Reply, send_body: bool) -> None:
        self.send_response(reply.status)
        streamed = callable(reply.body)
        declared = {name.lower() for name in reply.headers}
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if not streamed and "content-length" not in declared:
            self.send_header("Content-Length", str(len(reply.body)))
        if streamed and "content-length" not in declared:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not send_body:
            return
        if streamed:
            for chunk in reply.body():
                self.wfile.write(chunk)
                self.wfile.flush()
        else:
            self.wfile.write(reply.body)
