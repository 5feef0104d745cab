"""Fetch feeds and article pages over HTTP(S), politely and safely.

The URLs come from untrusted feeds, so four things an HTTP client would normally do for us
are done here by hand:

- The deadline. httpx's timeouts bound each socket operation, so a server that drips one
  byte a second never trips them. Each request (connect, redirects, body, retries and the
  pauses between them) runs under one asyncio deadline instead.
- Redirects. Every hop is a new URL chosen by the server: it must be http(s) and its address
  must pass the same check as the first, so httpx never follows one on its own.
- Addresses (SSRF). A feed could point at 127.0.0.1, the office network or the cloud metadata
  service. The host is resolved here, the address vetted, and the connection made to that
  vetted IP, with the original Host header and with TLS SNI and certificate checks on the real
  name (httpcore's "sni_hostname" extension), so a second DNS answer cannot swap in another
  address (DNS rebinding). httpcore pools connections by (scheme, IP, port) and would reuse a
  TLS connection verified for one name for another name on the same IP, so each host name
  gets its own client.
- Content decoding. httpx decodes each network read in one go: 64 KiB of gzip can inflate to
  64 MB, and a 152-byte brotli body to 100 MB, before anyone could count. Bodies are read raw
  and inflated here in bounded slices, so the size cap holds for the decoded bytes and memory.

Nothing here raises for a network problem: each request ends as a FetchResult whose `error`
says what went wrong.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import http.cookiejar
import ipaddress
import logging
import socket
import ssl
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

from .. import __version__

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CLOUD_METADATA_ADDRESSES = frozenset({
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, ...
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
})
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; Alibaba's metadata
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")  # reaches the embedded IPv4 address
# Only what we can inflate in bounded slices; brotli and zstd would decode a chunk at once.
ACCEPT_ENCODING = "gzip, deflate"
INFLATE_SLICE_BYTES = 64 * 1024


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how defensively to fetch; one policy serves a whole run."""

    user_agent: str = f"briefing/{__version__} (+https://github.com/briefing/briefing)"
    deadline_seconds: float = 30.0
    """Wall time for one request once it starts: connects, redirects, body, retries and pauses."""
    connect_timeout_seconds: float = 10.0
    max_body_bytes: int = 10_000_000
    """Cap on the decoded body; a larger one is an error (and is never held in memory)."""
    max_redirects: int = 5
    retries: int = 2
    """Extra attempts after a connection error, HTTP 429 or a transient 5xx; never after the deadline."""
    backoff_seconds: float = 1.0
    """The first pause before a retry; each later pause doubles (unless Retry-After says otherwise)."""
    max_retry_after_seconds: float = 60.0
    """A longer Retry-After is not waited for: the result carries `retry_after` instead."""
    per_host_concurrency: int = 2
    total_concurrency: int = 8
    allow_private: tuple[str, ...] = ()
    """Addresses or CIDR networks fetched although private, loopback or otherwise non-public."""
    tls_ca_file: str | None = None
    """A PEM file of certificate authorities to trust instead of certifi's (a private CA, tests)."""
    robots_txt: bool = True
    """Fetch an article page only where its site's robots.txt allows it (collect checks this; a feed,
    subscribed on purpose, is always fetched)."""


@dataclass(frozen=True)
class FetchRequest:
    url: str
    etag: str | None = None
    """Sent as If-None-Match: the ETag of the copy we already have."""
    last_modified: str | None = None
    """Sent as If-Modified-Since: the Last-Modified of the copy we already have."""


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    """The URL after redirects (the last one tried, when the fetch failed)."""
    status: int | None
    body: bytes
    """The decoded body of a 2xx response; empty otherwise."""
    etag: str | None
    """The validators to send next time: the response's on 2xx and 304, else the request's."""
    last_modified: str | None
    content_type: str | None
    retry_after: float | None
    """Seconds the server asked us to wait (429, 5xx); skip the source until then."""
    error: str | None
    attempts: int
    elapsed: float
    """Seconds from the first connection attempt (not the wait for a free slot) to the result."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch_all(requests: Sequence[FetchRequest], policy: FetchPolicy = FetchPolicy()) -> list[FetchResult]:
    """Fetch every request concurrently within the policy's limits; results in the same order.

    Runs its own event loop, so call it from synchronous code (use `fetch_all_async` inside a loop).
    """
    return asyncio.run(fetch_all_async(requests, policy))


def fetch(request: FetchRequest, policy: FetchPolicy = FetchPolicy()) -> FetchResult:
    """Fetch one URL; see `fetch_all`."""
    return fetch_all([request], policy)[0]


async def fetch_all_async(requests: Sequence[FetchRequest], policy: FetchPolicy) -> list[FetchResult]:
    """`fetch_all` for callers already inside an event loop."""
    async with _Fetcher(policy) as fetcher:
        return list(await asyncio.gather(*(fetcher.fetch(request) for request in requests)))


# --- Addresses -------------------------------------------------------------------------------


def why_not_public(address: str | IPAddress) -> str | None:
    """Why an address must not be fetched from ("a private address", ...), or None if it is public.

    IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by that address.
    """
    ip = ipaddress.ip_address(address)
    ip = embedded_ipv4(ip) or ip
    if ip in CLOUD_METADATA_ADDRESSES:
        return "the cloud metadata address"
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (ip.version == 4 and ip in SHARED_ADDRESS_SPACE, "a shared (carrier-grade NAT) address"),
        (ip.version == 6 and ip.is_site_local, "a site-local address"),
        (not ip.is_global, "a non-public address"),
    )
    return next((reason for failed, reason in checks if failed), None)


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv6 address stands for, if any."""
    if ip.version == 4:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def parse_networks(specs: Sequence[str]) -> tuple[IPNetwork, ...]:
    """The networks of `allow_private` ("10.0.0.0/8", "::1"); a malformed one raises ValueError."""
    return tuple(ipaddress.ip_network(spec, strict=False) for spec in specs)


def is_allowed(ip: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    """Whether the operator allowed this address (or the IPv4 address it stands for)."""
    forms = [ip, embedded_ipv4(ip)]
    return any(form is not None and form in network for form in forms for network in allowed)


def _choose_address(host: str, addresses: Sequence[IPAddress], allowed: Sequence[IPNetwork]) -> IPAddress:
    """The address to connect to: the first acceptable one, IPv4 before IPv6.

    Raises _Failure naming the first refused address when none is acceptable.
    """
    if not addresses:
        raise _Failure(f"could not resolve {host}: no addresses")
    # IPv4 first: more hosts (and containers) lack a working IPv6 route than an IPv4 one.
    ordered = sorted(addresses, key=lambda ip: ip.version)
    for ip in ordered:
        if is_allowed(ip, allowed) or why_not_public(ip) is None:
            return ip
    ip = ordered[0]
    where = f"{host} is" if _is_ip_literal(host) else f"{host} resolves to {ip},"
    raise _Failure(f"refused: {where} {why_not_public(ip)}; allow it with fetch.allow_private")


# --- One request -----------------------------------------------------------------------------


class _Failure(Exception):
    """Why a fetch stopped, in words for FetchResult.error."""

    def __init__(self, message: str, retryable: bool = False):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass
class _Progress:
    """What one request has done so far; it survives the deadline cutting the request short."""

    budget: asyncio.Timeout
    final_url: str
    attempts: int = 0
    started: float | None = None

    def start_clock(self, deadline_seconds: float) -> None:
        """Arm the deadline once the request holds its slots, so queueing behind others is free."""
        if self.started is None:
            self.started = time.monotonic()
            self.budget.reschedule(asyncio.get_running_loop().time() + deadline_seconds)

    def seconds_left(self) -> float:
        when = self.budget.when()
        return float("inf") if when is None else when - asyncio.get_running_loop().time()

    def elapsed(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started


@dataclass(frozen=True)
class _Response:
    """One HTTP response, its body read (2xx) or not (anything else)."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes = b""


@dataclass(frozen=True)
class _Outcome:
    """How one attempt ended: a final response, or a failure."""

    final_url: str
    response: _Response | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None


class _Fetcher:
    """Fetches requests under one policy, sharing the concurrency limits and connection pools."""

    def __init__(self, policy: FetchPolicy):
        self.policy = policy
        self.allowed = parse_networks(policy.allow_private)
        self.ssl_context = (ssl.create_default_context(cafile=policy.tls_ca_file) if policy.tls_ca_file
                            else httpx.create_ssl_context(trust_env=False))  # certifi's authorities
        self.total_slots = asyncio.Semaphore(policy.total_concurrency)
        self.host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(policy.per_host_concurrency)
        )
        self.clients: dict[str, httpx.AsyncClient] = {}

    async def __aenter__(self) -> _Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.gather(*(client.aclose() for client in self.clients.values()))

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one request with retries under its deadline; never raises for network trouble."""
        budget = asyncio.timeout(None)  # armed by _Progress.start_clock
        progress = _Progress(budget, request.url)
        try:
            async with budget:
                outcome = await self._fetch_with_retries(request, progress)
        except TimeoutError as exc:
            expired = budget.expired()
            outcome = self._deadline_outcome(progress) if expired else _unexpected(request, progress, exc)
        except Exception as exc:  # a bug or an exotic failure must not end the whole run
            outcome = _unexpected(request, progress, exc)
        return _result(request, outcome, progress)

    def _deadline_outcome(self, progress: _Progress) -> _Outcome:
        seconds = _seconds(self.policy.deadline_seconds)
        return _Outcome(progress.final_url, error=f"timed out after {seconds} (deadline)")

    async def _fetch_with_retries(self, request: FetchRequest, progress: _Progress) -> _Outcome:
        while True:
            progress.attempts += 1
            outcome = await self._attempt(request, progress)
            pause = self._pause_before_retry(outcome, progress)
            if pause is None:
                return outcome
            await asyncio.sleep(pause)

    def _pause_before_retry(self, outcome: _Outcome, progress: _Progress) -> float | None:
        """Seconds to wait before trying again, or None when this outcome is final."""
        if not outcome.retryable or progress.attempts > self.policy.retries:
            return None
        if outcome.retry_after is not None:
            if outcome.retry_after > self.policy.max_retry_after_seconds:
                return None
            pause = outcome.retry_after
        else:
            pause = self.policy.backoff_seconds * 2 ** (progress.attempts - 1)
        return pause if pause < progress.seconds_left() else None

    async def _attempt(self, request: FetchRequest, progress: _Progress) -> _Outcome:
        try:
            response = await self._follow_redirects(request, progress)
        except _Failure as failure:
            return _Outcome(progress.final_url, error=failure.message, retryable=failure.retryable)
        retry_after = _retry_after(response) if _is_transient(response.status) else None
        return _Outcome(response.url, response, retryable=_is_transient(response.status),
                        retry_after=retry_after)

    async def _follow_redirects(self, request: FetchRequest, progress: _Progress) -> _Response:
        url = _fetchable_url(request.url)
        for _ in range(self.policy.max_redirects + 1):
            progress.final_url = str(url)
            response = await self._get(url, request, progress)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            url = _redirect_target(url, location)
        raise _Failure(f"too many redirects ({self.policy.max_redirects})")

    async def _get(self, url: httpx.URL, request: FetchRequest, progress: _Progress) -> _Response:
        """One GET of one URL, within the host's and the run's concurrency limits."""
        host = url.raw_host.decode("ascii")
        async with self.host_slots[host], self.total_slots:
            progress.start_clock(self.policy.deadline_seconds)
            ip = await self._vetted_address(url)
            return await self._exchange(url, ip, request)

    async def _vetted_address(self, url: httpx.URL) -> IPAddress:
        host = url.raw_host.decode("ascii")
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            addresses = await _resolve(host, url.port or _default_port(url))
        return _choose_address(host, addresses, self.allowed)

    async def _exchange(self, url: httpx.URL, ip: IPAddress, request: FetchRequest) -> _Response:
        """Send the GET to the vetted IP and read the body of a 2xx response."""
        host = url.raw_host.decode("ascii")
        client = self._client_for(host)
        try:
            outgoing = client.build_request(
                "GET", url.copy_with(host=str(ip)), headers=self._headers(url, request),
                extensions={"sni_hostname": host},  # httpcore: TLS SNI and certificate check on the name
            )
            response = await client.send(outgoing, stream=True)
            try:
                ok = 200 <= response.status_code < 300
                body = await _read_body(response, self.policy.max_body_bytes) if ok else b""
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise self._failure_from(exc) from exc
        except UnicodeEncodeError as exc:  # a stored validator that is not ASCII
            raise _Failure(f"request header not ASCII: {exc}") from exc
        return _Response(str(url), response.status_code, response.headers, body)

    def _headers(self, url: httpx.URL, request: FetchRequest) -> dict[str, str]:
        headers = {
            "Host": url.netloc.decode("ascii"),  # the URL now names the IP; the server wants the name
            "User-Agent": self.policy.user_agent,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        return headers

    def _client_for(self, host: str) -> httpx.AsyncClient:
        """One client per host name, so a pooled TLS connection only serves the name it verified."""
        if host not in self.clients:
            self.clients[host] = httpx.AsyncClient(
                verify=self.ssl_context,
                timeout=httpx.Timeout(self.policy.deadline_seconds,
                                      connect=self.policy.connect_timeout_seconds),
                limits=httpx.Limits(max_connections=self.policy.per_host_concurrency),
                follow_redirects=False,
                trust_env=False,  # a proxy would resolve the name itself and undo the address check
                cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
            )
        return self.clients[host]

    def _failure_from(self, exc: httpx.HTTPError) -> _Failure:
        """A network error in words; connection trouble is worth a retry, a rejected certificate is not."""
        detail = _innermost_message(exc)
        if isinstance(exc, httpx.ConnectTimeout):
            seconds = _seconds(self.policy.connect_timeout_seconds)
            return _Failure(f"connection timed out after {seconds}", retryable=True)
        if _caused_by(exc, ssl.SSLCertVerificationError):
            return _Failure(f"TLS failed: {detail}")
        if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
            return _Failure(f"connection failed: {detail}", retryable=True)
        if isinstance(exc, httpx.TimeoutException):
            return _Failure(f"timed out: {detail}")
        return _Failure(f"HTTP failed: {detail}")


def _unexpected(request: FetchRequest, progress: _Progress, exc: BaseException) -> _Outcome:
    logger.error("unexpected error fetching %s", request.url, exc_info=exc)
    return _Outcome(progress.final_url, error=f"unexpected error: {type(exc).__name__}: {exc}")


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Feeds and pages are read anonymously: no cookie is kept or sent."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False


# --- URLs and names --------------------------------------------------------------------------


def _fetchable_url(text: str) -> httpx.URL:
    """The URL, if it is an http(s) URL with a host; otherwise _Failure."""
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError) as exc:  # IDNA errors are ValueErrors
        raise _Failure(f"invalid URL: {exc}") from exc
    if not url.scheme:
        raise _Failure("invalid URL: not absolute (it must start with http:// or https://)")
    if url.scheme not in ("http", "https"):
        raise _Failure(f"refused: only http and https URLs are fetched, not {url.scheme}:")
    if not url.raw_host:  # (url.host would IDNA-decode, which can raise)
        raise _Failure("invalid URL: no host")
    return url.copy_with(fragment=None)


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    """Where a redirect leads, resolved against the current URL and checked like any other."""
    try:
        target = current.join(location)
    except (httpx.InvalidURL, ValueError) as exc:
        raise _Failure(f"redirect to an invalid URL: {exc}") from exc
    if target.scheme not in ("http", "https"):
        raise _Failure(f"redirect to {target.scheme}: refused (only http and https are followed)")
    return _fetchable_url(str(target))


async def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the name resolves to; a temporary DNS failure is worth a retry."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        retryable = isinstance(exc, socket.gaierror) and exc.errno == socket.EAI_AGAIN
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise _Failure(f"could not resolve {host}: {reason}", retryable=retryable) from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


# --- Bodies ----------------------------------------------------------------------------------


async def _read_body(response: httpx.Response, cap: int) -> bytes:
    """The decoded body, or _Failure as soon as it grows past `cap` bytes."""
    encoding = response.headers.get("content-encoding", "")
    stages = _decoding_stages(encoding)
    declared = response.headers.get("content-length", "")
    if not stages and declared.isdigit() and int(declared) > cap:
        raise _Failure(f"body larger than {_size(cap)}")
    body = bytearray()
    try:
        async for chunk in response.aiter_raw():
            for piece in _decoded(chunk, stages):
                body += piece
                if len(body) > cap:
                    raise _Failure(f"body larger than {_size(cap)}")
    except zlib.error as exc:
        raise _Failure(f"could not decode the {encoding} body: {exc}") from exc
    return bytes(body)


def _decoding_stages(content_encoding: str) -> list[_Inflater]:
    """Decoders for a Content-Encoding header, in the order to apply them (the last coding first)."""
    codings = [coding.strip().lower() for coding in content_encoding.split(",") if coding.strip()]
    stages = []
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip", "deflate"):
            stages.append(_Inflater(coding))
        elif coding != "identity":
            raise _Failure(f"unsupported Content-Encoding: {content_encoding} (we accept {ACCEPT_ENCODING})")
    return stages


def _decoded(data: bytes, stages: Sequence[_Inflater]) -> Iterator[bytes]:
    """`data` through every stage, lazily, in slices no larger than one stage's slice."""
    if not stages:
        yield data
        return
    for piece in stages[0].slices(data):
        yield from _decoded(piece, stages[1:])


class _Inflater:
    """Inflates gzip or deflate data in slices of at most INFLATE_SLICE_BYTES."""

    def __init__(self, coding: str):
        # "deflate" should be zlib-wrapped; some servers send it raw, which the first bytes tell.
        self.may_be_raw = coding == "deflate"
        self.inflater = zlib.decompressobj(zlib.MAX_WBITS | (16 if coding != "deflate" else 0))

    def slices(self, data: bytes) -> Iterator[bytes]:
        if self.may_be_raw and data:
            self.may_be_raw = False
            if not _starts_like_zlib(data):
                self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        while True:
            piece = self.inflater.decompress(data, INFLATE_SLICE_BYTES)
            if piece:
                yield piece
            data = self.inflater.unconsumed_tail
            # A full slice may leave output pending inside zlib even when no input is left.
            if not data and len(piece) < INFLATE_SLICE_BYTES:
                return


def _starts_like_zlib(data: bytes) -> bool:
    """Whether deflate data opens with a zlib header (method 8, header a multiple of 31)."""
    if data[0] & 0x0F != 8:
        return False
    return len(data) < 2 or (data[0] << 8 | data[1]) % 31 == 0


# --- Results ---------------------------------------------------------------------------------


def _result(request: FetchRequest, outcome: _Outcome, progress: _Progress) -> FetchResult:
    response = outcome.response
    status = response.status if response else None
    headers = response.headers if response else httpx.Headers()
    etag, last_modified = _validators(request, status, headers)
    return FetchResult(
        url=request.url,
        final_url=outcome.final_url,
        status=status,
        body=response.body if response else b"",
        etag=etag,
        last_modified=last_modified,
        content_type=headers.get("content-type"),
        retry_after=outcome.retry_after,
        error=outcome.error or _http_error(status),
        attempts=progress.attempts,
        elapsed=progress.elapsed(),
    )


def _validators(
    request: FetchRequest, status: int | None, headers: httpx.Headers
) -> tuple[str | None, str | None]:
    """ETag and Last-Modified to send next time: a fresh copy's own, else those of the copy we have."""
    if status is not None and 200 <= status < 300:
        return headers.get("etag"), headers.get("last-modified")
    if status == 304:  # the server may restate them; otherwise ours still hold
        return headers.get("etag") or request.etag, headers.get("last-modified") or request.last_modified
    return request.etag, request.last_modified


def _http_error(status: int | None) -> str | None:
    """'HTTP 404 Not Found' for a status that is not a success; the wait asked for is in retry_after."""
    if status is None or 200 <= status < 300 or status == 304:
        return None
    try:
        return f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:  # a status Python has no name for; the server's own phrase is not trusted
        return f"HTTP {status}"


def _is_transient(status: int) -> bool:
    """Statuses that another try may fix: 429 and 5xx, except 'not implemented' and bad version."""
    return status == 429 or (500 <= status < 600 and status not in (501, 505))


def _retry_after(response: _Response) -> float | None:
    """Retry-After in seconds (it is delta-seconds or an HTTP-date), or None when absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


# --- Words -----------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _size(count: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    return any(isinstance(link, kind) for link in _chain(exc))


def _innermost_message(exc: BaseException) -> str:
    """The most specific message in an exception chain (httpx wraps httpcore wraps OSError)."""
    messages = [str(link) for link in _chain(exc) if str(link)]
    return messages[-1] if messages else type(exc).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__
