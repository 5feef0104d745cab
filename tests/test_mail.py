"""Email delivery through a real SMTP server (aiosmtpd) on 127.0.0.1 with STARTTLS and a private CA."""

import email
import email.policy
import shutil
import socket
import ssl
from datetime import date, datetime, timezone

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from briefing.config import load_config
from briefing.pipeline import resend, run
from briefing.state import open_store

from .httpserver import make_certificates
from .support import PROJECT, run_cli, write_config

DAY = date(2025, 3, 12)
NOW = datetime(2025, 3, 12, 7, 0, tzinfo=timezone.utc)
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command makes the test CA")


class Mailbox:
    """What the server received, and how it should answer the next messages."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.answers: list[str] = []  # replies to give to DATA before accepting, e.g. "451 ..."

    async def handle_DATA(self, server, session, envelope):
        if self.answers:
            return self.answers.pop(0)
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_login(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"desk" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=True (the default) would leave the client waiting


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test CA")
    return make_certificates(tmp_path_factory.mktemp("tls"), "localhost")


class SmtpServer:
    """aiosmtpd requiring STARTTLS and a login; it can be stopped and started again on the same port."""

    def __init__(self, certificates) -> None:
        ca, cert, key = certificates
        self.ca = ca
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(cert, key)
        self.mailbox = Mailbox()
        self.port = free_port()
        self._controller = None

    def start(self) -> None:
        self._controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, tls_context=self._context,
            require_starttls=True, authenticator=check_login, auth_required=True,
            auth_exclude_mechanism=["LOGIN"],  # smtplib sends AUTH LOGIN with an initial response aiosmtpd waits past
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp(certificates, monkeypatch):
    server = SmtpServer(certificates)
    server.start()
    monkeypatch.setenv("TEST_SMTP_USER", "desk")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    yield server
    server.stop()


def configure(tmp_path, smtp, *, trust=True, extra_email="", audience_extra=""):
    seeds = tmp_path / "seeds"
    if not seeds.exists():
        shutil.copytree(PROJECT / "seeds", seeds)
    ca = f"  ca_file: {smtp.ca}\n" if trust else ""
    path = write_config(tmp_path, f"""
sources:
  - path: seeds
email:
  host: localhost
  port: {smtp.port}
  security: starttls
{ca}  username_env: TEST_SMTP_USER
  password_env: TEST_SMTP_PASSWORD
  sender: "Desk <desk@example.org>"
  retries: 2
  retry_backoff_seconds: 0.01
  timeout_seconds: 10
{extra_email}
audiences:
  - name: board
    title: Board Briefing
    recipients: [ceo@example.org, cfo@example.org]
{audience_extra}
""")
    return load_config(path)


def delivered(config, audience="board") -> set[str]:
    with open_store(config.state) as store:
        return store.delivered_ids(audience)


@needs_openssl
def test_the_briefing_arrives_as_html_text_and_the_same_pdf(tmp_path, smtp):
    config = configure(tmp_path, smtp)
    result = run(config, DAY, send=True, now=lambda: NOW)
    (edition,) = result.editions
    assert edition.error is None and edition.email == "sent to 2 recipients"
    (message,) = smtp.mailbox.messages
    assert smtp.mailbox.envelopes[0].rcpt_tos == ["ceo@example.org", "cfo@example.org"]
    assert message["Subject"] == "Board Briefing, Wednesday 12 March 2025"
    assert message["From"] == "Desk <desk@example.org>" and message["To"] == "ceo@example.org, cfo@example.org"
    assert message["Message-ID"].endswith("@example.org>") and message["X-Briefing-Idempotency-Key"]
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "BOARD BRIEFING" in text and "Also reported by" in text and "<" not in text.split("\n")[0]
    assert "Board Briefing" in html and "max-width:640px" in html  # the email-friendly edition
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "board-2025-03-12.pdf"
    assert attachment.get_content() == (tmp_path / "out" / "board" / "2025-03-12.pdf").read_bytes()
    assert len(delivered(config)) == edition.briefing.article_count > 0


@needs_openssl
def test_an_outage_then_recovery_delivers_exactly_once(tmp_path, smtp):
    config = configure(tmp_path, smtp)
    smtp.stop()  # the server is down
    down = run(config, DAY, send=True, now=lambda: NOW)
    assert down.failed and "gave up after 3 attempts" in down.editions[0].error
    assert delivered(config) == set()  # written, but not delivered
    assert (tmp_path / "out" / "board" / "2025-03-12.pdf").is_file()

    smtp.start()
    smtp.mailbox.answers = ["451 4.3.0 Try again later"]  # one temporary refusal, then it accepts
    up = run(config, DAY, send=True, now=lambda: NOW)
    assert not up.failed and up.editions[0].email == "sent to 2 recipients"
    assert len(smtp.mailbox.messages) == 1 and len(delivered(config)) > 0

    again = run(config, DAY, send=True, now=lambda: NOW)  # e.g. a restart of the same day's job
    assert again.editions[0].email.startswith("already sent")
    assert len(smtp.mailbox.messages) == 1


@needs_openssl
def test_a_crash_mid_send_is_resent_with_the_same_message_id(tmp_path, smtp):
    config = configure(tmp_path, smtp)
    first = run(config, DAY, send=True, now=lambda: NOW)
    original_id = smtp.mailbox.messages[0]["Message-ID"]
    with open_store(config.state) as store:  # as if the process died after the DATA but before recording it
        key = store._db.execute("SELECT key FROM sends").fetchone()[0]
        store._db.execute("UPDATE sends SET status = 'sending' WHERE key = ?", (key,))
        store._db.commit()
    run(config, DAY, send=True, now=lambda: NOW)
    assert [m["Message-ID"] for m in smtp.mailbox.messages] == [original_id, original_id]
    assert first.editions[0].email == "sent to 2 recipients"


@needs_openssl
def test_an_untrusted_certificate_refuses_to_send_and_is_not_retried(tmp_path, smtp):
    config = configure(tmp_path, smtp, trust=False)
    result = run(config, DAY, send=True, now=lambda: NOW)
    error = result.editions[0].error
    assert "certificate is not trusted" in error and "email.ca_file" in error and "gave up" not in error
    assert smtp.mailbox.messages == [] and delivered(config) == set()


@needs_openssl
def test_a_permanent_refusal_is_reported_once(tmp_path, smtp):
    config = configure(tmp_path, smtp)
    smtp.mailbox.answers = ["554 5.7.1 Message rejected", "250 never reached"]
    result = run(config, DAY, send=True, now=lambda: NOW)
    assert "554 5.7.1 Message rejected" in result.editions[0].error
    assert smtp.mailbox.answers == ["250 never reached"]  # not retried
    with open_store(config.state) as store:
        (status, error) = store._db.execute("SELECT status, error FROM sends").fetchone()
    assert status == "failed" and "554" in error


@needs_openssl
def test_wrong_or_missing_credentials_are_clear(tmp_path, smtp, monkeypatch):
    config = configure(tmp_path, smtp)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
    assert "login refused (535" in run(config, DAY, send=True, now=lambda: NOW).editions[0].error
    monkeypatch.delenv("TEST_SMTP_PASSWORD")
    error = run(config, DAY, send=True, now=lambda: NOW).editions[0].error
    assert "set the environment variable(s) TEST_SMTP_PASSWORD" in error


@needs_openssl
def test_a_pdf_over_the_limit_is_linked_not_attached(tmp_path, smtp):
    config = configure(tmp_path, smtp, extra_email="  max_attachment_mb: 0.001\n  archive_url: https://news.example/briefings/")
    run(config, DAY, send=True, now=lambda: NOW)
    (message,) = smtp.mailbox.messages
    assert list(message.iter_attachments()) == []
    text = message.get_body(("plain",)).get_content()
    assert "is not attached. It is here: https://news.example/briefings/board/2025-03-12.pdf" in text
    assert "https://news.example/briefings/board/2025-03-12.pdf" in message.get_body(("html",)).get_content()


@needs_openssl
def test_without_send_nothing_is_emailed_nor_delivered_and_send_resends_on_purpose(tmp_path, smtp):
    config = configure(tmp_path, smtp)
    built = run(config, DAY, now=lambda: NOW)
    assert built.editions[0].email.startswith("not sent (use --send)")
    assert smtp.mailbox.messages == [] and delivered(config) == set()

    first = resend(config, "board", DAY, now=lambda: NOW)
    assert first.email == "sent to 2 recipients" and len(delivered(config)) > 0
    result = run_cli("send", "--audience", "board", "--date", "2025-03-12", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "board: 2025-03-12: sent to 2 recipients" in result.stdout
    first_id, second_id = (m["Message-ID"] for m in smtp.mailbox.messages)
    assert first_id != second_id  # a deliberate resend is a new message


def test_the_archive_index_lists_briefings_newest_first_and_keeps_n_days(tmp_path):
    shutil.copytree(PROJECT / "seeds", tmp_path / "seeds")
    config = load_config(write_config(tmp_path, """
sources: [{path: seeds}]
output: {keep_days: 2}
audiences: [{name: desk, title: Desk Digest}]
"""))
    for day in (date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12)):
        run(config, day, since=datetime(2025, 1, 1, tzinfo=timezone.utc), now=lambda: NOW)
    folder = tmp_path / "out" / "desk"
    assert sorted(p.name for p in folder.glob("2025-*")) == [
        "2025-03-11.html", "2025-03-11.pdf", "2025-03-12.html", "2025-03-12.pdf"]
    assert sorted(p.name for p in (folder / ".pdf").iterdir()) == ["2025-03-11.json", "2025-03-12.json"]
    index = (folder / "index.html").read_text()
    assert index.index("Wednesday 12 March 2025") < index.index("Tuesday 11 March 2025")
    assert 'href="2025-03-12.pdf"' in index and 'href="2025-03-11.html"' in index
    assert "2025-03-10" not in index and "kept for 2 days" in index


@needs_openssl
def test_articles_that_arrive_after_the_days_email_wait_for_the_next_one(tmp_path, smtp):
    config = configure(tmp_path, smtp)
    run(config, DAY, send=True, now=lambda: NOW)
    before = delivered(config)
    (tmp_path / "seeds" / "late.md").write_text("---\ntitle: A late harbour story\n---\nThe harbour reopened late.\n")
    again = run(config, DAY, send=True, now=lambda: NOW)
    assert again.editions[0].email.startswith("already sent") and len(smtp.mailbox.messages) == 1
    assert delivered(config) == before  # the late article was not emailed, so it is not delivered
    tomorrow = run(config, date(2025, 3, 13), send=True, now=lambda: NOW)
    assert [a.title for s in tomorrow.briefing.sections for st in s.stories for a in st.articles] == [
        "A late harbour story"]
    assert len(smtp.mailbox.messages) == 2


@needs_openssl
def test_smtps_with_a_trusted_private_authority(tmp_path, certificates, monkeypatch):
    ca, cert, key = certificates
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        shutil.copytree(PROJECT / "seeds", tmp_path / "seeds")
        config = load_config(write_config(tmp_path, f"""
sources: [{{path: seeds}}]
email: {{host: localhost, port: {port}, security: ssl, ca_file: {ca}, retries: 0}}
audiences: [{{name: desk, recipients: [desk@example.org], formats: [html]}}]
"""))
        result = run(config, DAY, send=True, now=lambda: NOW)
    finally:
        controller.stop()
    assert result.editions[0].email == "sent to 1 recipient"
    (message,) = mailbox.messages
    assert list(message.iter_attachments()) == []  # no PDF format, nothing to attach
    assert message.get_body(("plain",)).get_content().startswith("DAILY BRIEFING")
