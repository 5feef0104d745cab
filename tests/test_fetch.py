"""The fetcher against a real HTTP server on 127.0.0.1 (tests/httpserver.py)."""

from __future__ import annotations

import email.utils
import gzip
import ipaddress
import shutil
import socket
import time
import tracemalloc
import zlib
from dataclasses import replace

import pytest

from briefing import __version__
from briefing.gather import fetch as fetch_module
from briefing.gather.fetch import (
    FetchPolicy, FetchRequest, _choose_address, fetch, fetch_all, is_allowed, parse_networks, why_not_public,
)
from tests.httpserver import LocalServer, Reply, make_certificates

LOCAL = FetchPolicy(allow_private=("127.0.0.1/32",), backoff_seconds=0.01, deadline_seconds=5)


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 50 MB of zeros, gzip-compressed to some 50 kB without ever holding the 50 MB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1_000_000)
    return b"".join(compressor.compress(zeros) for _ in range(50)) + compressor.flush()


def get(server: LocalServer, path: str, policy: FetchPolicy = LOCAL, **request):
    return fetch(FetchRequest(server.url(path), **request), policy)


# --- Success and conditional GET -------------------------------------------------------------


def test_a_plain_200_returns_body_type_and_validators(server):
    server.route("/feed.xml", Reply(200, b"<rss/>", {
        "Content-Type": "application/rss+xml", "ETag": '"v1"',
        "Last-Modified": "Wed, 12 Mar 2025 09:00:00 GMT",
    }))
    result = get(server, "/feed.xml")
    assert result.ok and not result.not_modified and result.error is None
    assert (result.status, result.body, result.content_type) == (200, b"<rss/>", "application/rss+xml")
    assert (result.etag, result.last_modified) == ('"v1"', "Wed, 12 Mar 2025 09:00:00 GMT")
    assert result.attempts == 1 and result.final_url == result.url == server.url("/feed.xml")


def test_etag_then_if_none_match_gives_304_keeping_the_etag(server):
    def by_etag(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Reply(304)
        return Reply(200, b"<rss/>", {"ETag": '"v1"'})
    server.route("/feed", by_etag)
    first = get(server, "/feed")
    second = get(server, "/feed", etag=first.etag)
    assert first.ok and first.etag == '"v1"'
    assert second.not_modified and second.error is None and not second.ok
    assert second.body == b"" and second.etag == '"v1"'


def test_last_modified_then_if_modified_since_gives_304_keeping_the_date(server, tmp_path):
    (tmp_path / "feed.xml").write_bytes(b"<rss/>")
    with LocalServer(root=tmp_path) as files:  # the file server answers If-Modified-Since itself
        first = fetch(FetchRequest(files.url("/feed.xml")), LOCAL)
        second = fetch(FetchRequest(files.url("/feed.xml"), last_modified=first.last_modified), LOCAL)
        sent = files.requests_to("/feed.xml")[1].headers
    assert first.ok and first.body == b"<rss/>" and first.content_type == "application/xml"
    assert sent["If-Modified-Since"] == first.last_modified and sent.get("If-None-Match") is None
    assert second.not_modified and second.last_modified == first.last_modified


def test_the_honest_user_agent_arrives_and_host_names_the_original_host(server):
    server.route("/", Reply(200, b"ok"))
    fetch(FetchRequest(server.url("/", host="localhost")), LOCAL)
    headers = server.requests_to("/")[0].headers
    assert headers["User-Agent"].startswith(f"briefing/{__version__} (+https://")
    assert headers["Host"] == f"localhost:{server.port}"  # though the connection went to 127.0.0.1
    assert headers["Accept-Encoding"] == "gzip, deflate"


# --- HTTP errors and retries -----------------------------------------------------------------


@pytest.mark.parametrize("status, words", [(404, "HTTP 404 Not Found"), (410, "HTTP 410 Gone")])
def test_client_errors_are_reported_without_retry(server, status, words):
    server.route("/gone", Reply(status, b"nope"))
    result = get(server, "/gone")
    assert not result.ok and result.status == status and result.error == words
    assert result.attempts == 1 and len(server.requests_to("/gone")) == 1 and result.body == b""


def test_429_with_a_short_retry_after_waits_that_long_then_succeeds(server):
    server.route("/busy", [Reply(429, b"", {"Retry-After": "1"}), Reply(200, b"ok")])
    result = get(server, "/busy")
    assert result.ok and result.body == b"ok" and result.attempts == 2
    assert result.elapsed >= 0.9  # Retry-After, not the 0.01 s backoff
    assert result.retry_after is None


@pytest.mark.parametrize("retry_after", [
    lambda: "3600", lambda: email.utils.formatdate(time.time() + 3600, usegmt=True),
], ids=["delta-seconds", "http-date"])
def test_429_with_a_long_retry_after_is_not_waited_for_but_reported(server, retry_after):
    # The date is made when the test runs, not when the module is collected.
    server.route("/busy", Reply(429, b"", {"Retry-After": retry_after()}))
    started = time.monotonic()
    result = get(server, "/busy")
    assert time.monotonic() - started < 1
    assert result.status == 429 and result.attempts == 1
    assert result.retry_after == pytest.approx(3600, abs=5)
    assert result.error == "HTTP 429 Too Many Requests"


def test_a_500_then_a_200_is_retried(server):
    server.route("/flaky", [Reply(500), Reply(200, b"ok")])
    result = get(server, "/flaky")
    assert result.ok and result.body == b"ok" and result.attempts == 2


def test_a_500_every_time_gives_up_after_the_retries(server):
    server.route("/broken", Reply(500))
    result = get(server, "/broken", replace(LOCAL, retries=2))
    assert result.status == 500 and result.error == "HTTP 500 Internal Server Error"
    assert result.attempts == 3 and len(server.requests_to("/broken")) == 3


def test_a_refused_connection_is_retried_then_reported():
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fetch(FetchRequest(f"http://127.0.0.1:{port}/"), LOCAL)
    assert result.status is None and result.attempts == 3
    assert result.error.startswith("connection failed: ")


# --- Deadline and size -----------------------------------------------------------------------


def test_a_dripping_server_is_cut_off_by_the_deadline(server):
    server.route("/drip", Reply.drip(b"x" * 100, every=0.2))  # 20 s in all, each read well under any timeout
    started = time.monotonic()
    result = get(server, "/drip", replace(LOCAL, deadline_seconds=1))
    assert time.monotonic() - started < 2
    assert result.error == "timed out after 1 s (deadline)" and not result.ok
    assert result.attempts == 1


def test_a_gzip_bomb_stops_at_the_cap_without_inflating_it_all(server, gzip_bomb):
    server.route("/bomb", Reply(200, gzip_bomb, {"Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        result = get(server, "/bomb", replace(LOCAL, max_body_bytes=1_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(gzip_bomb) < 100_000
    assert result.error == "body larger than 1 MB" and result.body == b""
    assert peak < 8_000_000  # the cap plus a slice or two, not 50 MB


def test_a_plain_body_over_the_cap_is_refused(server):
    server.route("/big", Reply(200, b"x" * 2_000))
    assert get(server, "/big", replace(LOCAL, max_body_bytes=1_000)).error == "body larger than 1 kB"


@pytest.mark.parametrize("coding, encode", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),  # zlib-wrapped, as the standard says
    ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw, as some servers send it
], ids=["gzip", "deflate", "raw-deflate"])
def test_compressed_bodies_are_decoded(server, coding, encode):
    text = b"<rss>" + b"news " * 50_000 + b"</rss>"
    server.route("/z", Reply(200, encode(text), {"Content-Encoding": coding}))
    result = get(server, "/z")
    assert result.ok and result.body == text


def test_an_encoding_we_did_not_ask_for_is_refused(server):
    server.route("/br", Reply(200, b"\x0b\x02\x80hello\x03", {"Content-Encoding": "br"}))
    assert get(server, "/br").error == "unsupported Content-Encoding: br (we accept gzip, deflate)"


# --- Redirects -------------------------------------------------------------------------------


def test_a_redirect_chain_is_followed_to_the_end(server):
    server.route("/a", Reply.redirect("/b", 301))
    server.route("/b", Reply.redirect(server.url("/c", host="localhost"), 308))
    server.route("/c", Reply(200, b"here"))
    result = get(server, "/a")
    assert result.ok and result.body == b"here"
    assert result.final_url == server.url("/c", host="localhost") and result.url == server.url("/a")


def test_a_redirect_loop_stops_after_max_redirects(server):
    server.route("/loop", Reply.redirect("/loop"))
    result = get(server, "/loop")
    assert result.error == "too many redirects (5)" and result.attempts == 1
    assert len(server.requests_to("/loop")) == 6


@pytest.mark.parametrize("target, words", [
    ("http://10.1.2.3/", "refused: 10.1.2.3 is a private address; allow it with fetch.allow_private"),
    ("http://169.254.169.254/latest/meta-data", "refused: 169.254.169.254 is the cloud metadata address"),
    ("http://[::ffff:10.0.0.1]/", "refused: ::ffff:10.0.0.1 is a private address"),
    ("http://[fe80::1]:8080/", "refused: fe80::1 is a link-local address"),
    ("http://0.0.0.0/", "refused: 0.0.0.0 is an unspecified address"),
])
def test_a_redirect_to_a_private_address_is_refused_without_connecting(server, target, words):
    server.route("/evil", Reply.redirect(target))
    started = time.monotonic()
    result = get(server, "/evil")
    assert result.error.startswith(words) and result.status is None
    assert result.final_url == target and result.attempts == 1
    assert time.monotonic() - started < 1  # a connection attempt to 10.1.2.3 would hang


@pytest.mark.parametrize("target, words", [
    ("file:///etc/passwd", "redirect to file: refused"),
    ("ftp://example.org/feed", "redirect to ftp: refused"),
])
def test_a_redirect_to_another_scheme_is_refused(server, target, words):
    server.route("/sneaky", Reply.redirect(target))
    result = get(server, "/sneaky")
    assert result.error.startswith(words) and result.body == b""


# --- Address safety --------------------------------------------------------------------------


@pytest.mark.parametrize("host, words", [
    ("127.0.0.1", "refused: 127.0.0.1 is a loopback address; allow it with fetch.allow_private"),
    ("localhost", "refused: localhost resolves to 127.0.0.1, a loopback address"),
])
def test_loopback_is_refused_unless_allowed(server, host, words):
    server.route("/", Reply(200, b"secret"))
    result = fetch(FetchRequest(server.url("/", host=host)), FetchPolicy(backoff_seconds=0.01))
    assert result.error.startswith(words) and result.body == b""
    assert server.requests == []


def test_the_connection_goes_to_the_vetted_address_not_to_a_second_lookup(server, monkeypatch):
    lookups = []

    async def resolve_once(host, port):  # the only resolver that knows this name
        lookups.append(host)
        return [ipaddress.ip_address("127.0.0.1")]
    monkeypatch.setattr(fetch_module, "_resolve", resolve_once)
    server.route("/", Reply(200, b"pinned"))
    result = fetch(FetchRequest(server.url("/", host="feeds.example.test")), LOCAL)
    assert result.ok and result.body == b"pinned" and lookups == ["feeds.example.test"]
    assert server.requests_to("/")[0].headers["Host"] == f"feeds.example.test:{server.port}"


def test_an_ipv6_literal_is_bracketed_when_connecting():
    with LocalServer(host="::1") as server6:
        server6.route("/", Reply(200, b"six"))
        result = fetch(FetchRequest(server6.url("/")), replace(LOCAL, allow_private=("::1",)))
        host_header = server6.requests_to("/")[0].headers["Host"]
    assert result.ok and result.body == b"six"
    assert host_header == f"[::1]:{server6.port}"


@pytest.mark.parametrize("address, reason", [
    ("8.8.8.8", None),
    ("93.184.215.14", None),
    ("2606:4700:4700::1111", None),
    ("127.0.0.1", "a loopback address"),
    ("10.0.0.1", "a private address"),
    ("172.16.5.4", "a private address"),
    ("192.168.1.1", "a private address"),
    ("169.254.169.254", "the cloud metadata address"),
    ("169.254.1.1", "a link-local address"),
    ("100.100.100.200", "a shared (carrier-grade NAT) address"),
    ("0.0.0.0", "an unspecified address"),
    ("224.0.0.1", "a multicast address"),
    ("240.0.0.1", "a private address"),  # 240/4 is "reserved" but Python files it under private
    ("255.255.255.255", "a private address"),
    ("::1", "a loopback address"),
    ("::", "an unspecified address"),
    ("fe80::1", "a link-local address"),
    ("fc00::1", "a private address"),
    ("fd00:ec2::254", "the cloud metadata address"),
    ("ff02::1", "a multicast address"),
    ("::ffff:127.0.0.1", "a loopback address"),
    ("::ffff:169.254.169.254", "the cloud metadata address"),
    ("::ffff:8.8.8.8", None),
    ("64:ff9b::a00:1", "a private address"),  # NAT64 of 10.0.0.1
    ("2002:a00:1::", "a private address"),  # 6to4 of 10.0.0.1
])
def test_the_address_classifier(address, reason):
    assert why_not_public(address) == reason


def test_allow_private_admits_addresses_and_their_ipv4_mapped_forms():
    allowed = parse_networks(["127.0.0.1/32", "10.0.0.0/8"])
    assert is_allowed(ipaddress.ip_address("10.9.8.7"), allowed)
    assert is_allowed(ipaddress.ip_address("::ffff:127.0.0.1"), allowed)
    assert not is_allowed(ipaddress.ip_address("127.0.0.2"), allowed)
    chosen = _choose_address("mixed.example", [ipaddress.ip_address("10.1.1.1"),
                                               ipaddress.ip_address("8.8.8.8")], ())
    assert str(chosen) == "8.8.8.8"  # the public answer is used, and pinned
    with pytest.raises(ValueError):
        parse_networks(["not-a-network"])


# --- Whole runs ------------------------------------------------------------------------------


def test_per_host_concurrency_never_exceeds_the_limit(server):
    server.route("/slow", lambda request: time.sleep(0.2) or Reply(200, b"ok"))
    policy = replace(LOCAL, per_host_concurrency=2, total_concurrency=8)
    results = fetch_all([FetchRequest(server.url(f"/slow?{n}")) for n in range(6)], policy)
    assert all(result.ok for result in results)
    assert server.peak_concurrency_of("/slow") == 2


def test_total_concurrency_never_exceeds_the_limit(server):
    server.route("/slow", lambda request: time.sleep(0.2) or Reply(200, b"ok"))
    policy = replace(LOCAL, per_host_concurrency=2, total_concurrency=3)
    urls = [server.url(f"/slow?{n}", host=host) for n in range(4) for host in ("127.0.0.1", "localhost")]
    results = fetch_all([FetchRequest(url) for url in urls], policy)
    assert all(result.ok for result in results)
    assert server.peak_concurrency == 3


def test_fetch_all_keeps_the_order_and_never_raises(server):
    server.route("/ok", Reply(200, b"ok"))
    urls = ["ftp://example.org/x", server.url("/ok"), "not a url", "http:///nohost", server.url("/missing")]
    results = fetch_all([FetchRequest(url) for url in urls], LOCAL)
    assert [result.url for result in results] == urls
    assert results[0].error == "refused: only http and https URLs are fetched, not ftp:"
    assert results[1].ok
    assert results[2].error.startswith("invalid URL: not absolute")
    assert results[3].error == "invalid URL: no host"
    assert results[4].error == "HTTP 404 Not Found"


# --- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    return make_certificates(tmp_path_factory.mktemp("tls"), "localhost")


def test_https_connects_to_the_vetted_ip_but_verifies_the_name(certificates):
    ca, cert, key = certificates
    with LocalServer(tls=(cert, key)) as secure:
        secure.route("/", Reply(200, b"secure"))
        result = fetch(FetchRequest(secure.url("/", host="localhost")), replace(LOCAL, tls_ca_file=str(ca)))
        assert secure.sni_names == ["localhost"]
    assert result.ok and result.body == b"secure"


def test_https_with_a_certificate_for_another_name_fails_without_retry(certificates):
    ca, cert, key = certificates
    with LocalServer(tls=(cert, key)) as secure:  # the certificate names localhost, not 127.0.0.1
        result = fetch(FetchRequest(secure.url("/")), replace(LOCAL, tls_ca_file=str(ca)))
        assert secure.requests == []
    assert result.error.startswith("TLS failed: ") and "certificate" in result.error
    assert result.attempts == 1


def test_https_with_an_unknown_authority_fails(certificates):
    ca, cert, key = certificates
    with LocalServer(tls=(cert, key)) as secure:  # certifi's authorities never signed this one
        result = fetch(FetchRequest(secure.url("/", host="localhost")), LOCAL)
    assert result.error.startswith("TLS failed: ") and "certificate verify failed" in result.error
