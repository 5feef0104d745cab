"""Email delivery over SMTP: one multipart message per audience and date, sent at most once.

The message has an HTML body (the email-friendly rendering), a plain-text alternative and the
PDF attached. TLS is STARTTLS or SMTPS with the certificate always verified: Python's
`starttls()` without a context does not verify anything. Credentials come from environment
variables named in the config, never from the file.

Temporary failures (4xx replies, disconnects, refused connections) are retried with backoff;
permanent ones (5xx, authentication, an untrusted certificate) are reported at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from html import escape

from .config import EmailConfig
from .errors import DeliveryError

log = logging.getLogger(__name__)

_DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class Letter:
    """What one audience receives: the subject, both bodies, and the PDF when there is one."""

    subject: str
    html: str
    text: str
    pdf: bytes | None
    pdf_name: str
    pdf_location: str | None = None  # where the PDF can be found when it is too large to attach


@dataclass(frozen=True)
class SendOutcome:
    attempts: int
    refused: dict[str, str]  # recipients the server refused while accepting the others


class TemporaryFailure(DeliveryError):
    """Worth trying again later: the server said 4xx, or the connection failed."""


class PermanentFailure(DeliveryError):
    """Trying again will not help: 5xx, authentication, an untrusted certificate, missing credentials."""


def send_key(audience: str, day: str) -> str:
    """The idempotency key of the briefing of `audience` for `day`: one send each, unless resent on purpose."""
    return hashlib.sha256(f"{audience}\x1f{day}".encode()).hexdigest()[:24]


def message_id(key: str, sender: str, attempt_label: str = "") -> str:
    """A Message-ID fixed by the key, so a resend after a crash can be recognised as the same message."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "briefing.localhost"
    return f"<briefing.{key}{attempt_label}@{domain}>"


def compose(letter: Letter, settings: EmailConfig, recipients: Sequence[str], key: str, msgid: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = letter.subject
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = msgid
    message["X-Briefing-Idempotency-Key"] = key
    text, html, attach = letter.text, letter.html, letter.pdf is not None
    if letter.pdf is not None and len(letter.pdf) > settings.max_attachment_mb * 1_000_000:
        note = _too_large_note(len(letter.pdf), settings.max_attachment_mb, letter.pdf_location)
        text = f"{note}\n\n{text}"
        html = _with_note(html, note)
        attach = False
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if attach:
        message.add_attachment(letter.pdf, maintype="application", subtype="pdf", filename=letter.pdf_name)
    return message


def send_message(
    message: EmailMessage,
    settings: EmailConfig,
    recipients: Sequence[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> SendOutcome:
    """Hand the message to the server, retrying temporary failures; raises DeliveryError when it cannot."""
    credentials = _credentials(settings)
    attempts = 0
    while True:
        attempts += 1
        try:
            refused = _deliver_once(message, settings, recipients, credentials)
            return SendOutcome(attempts, refused)
        except TemporaryFailure as exc:
            if attempts > settings.retries:
                raise TemporaryFailure(f"{exc} (gave up after {attempts} attempts; the next run tries again)") from exc
            pause = settings.retry_backoff_seconds * 2 ** (attempts - 1)
            log.warning("email to %s: %s; trying again in %.0f s", settings.host, exc, pause)
            sleep(pause)


def _deliver_once(message: EmailMessage, settings: EmailConfig, recipients: Sequence[str],
                  credentials: tuple[str, str] | None) -> dict[str, str]:
    server = f"{settings.host}:{_port(settings)}"
    try:
        with _connect(settings) as smtp:
            if credentials:
                smtp.login(*credentials)
            refused = smtp.send_message(message, to_addrs=list(recipients))
    except ssl.SSLCertVerificationError as exc:
        raise PermanentFailure(
            f"{server}: the server's certificate is not trusted ({exc.verify_message}); "
            "if it is signed by your own authority, set email.ca_file to its certificate"
        ) from exc
    except ssl.SSLError as exc:
        raise PermanentFailure(f"{server}: TLS failed ({exc.reason or exc})") from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentFailure(f"{server}: login refused ({_reply(exc)}); check the credentials") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        kind = TemporaryFailure if any(400 <= c < 500 for c in codes) else PermanentFailure
        raise kind(f"{server}: every recipient was refused: {_refusals(exc.recipients)}") from exc
    except smtplib.SMTPResponseException as exc:
        kind = TemporaryFailure if 400 <= exc.smtp_code < 500 else PermanentFailure
        raise kind(f"{server}: {_reply(exc)}") from exc
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError) as exc:
        raise TemporaryFailure(f"{server}: {type(exc).__name__}: {exc}") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise PermanentFailure(f"{server}: {exc}") from exc
    except OSError as exc:
        raise TemporaryFailure(f"{server}: {exc.strerror or exc}") from exc
    return {address: _reply_text(code, text) for address, (code, text) in refused.items()}


def _connect(settings: EmailConfig) -> smtplib.SMTP:
    host, port, timeout = settings.host, _port(settings), settings.timeout_seconds
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context(settings))  # type: ignore[arg-type]
    smtp = smtplib.SMTP(host, port, timeout=timeout)  # type: ignore[arg-type]
    if settings.security == "starttls":
        try:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise PermanentFailure(
                    f"{host}:{port} does not offer STARTTLS; refusing to send in the clear "
                    "(use security: ssl, or none only for a relay on this machine)"
                )
            smtp.starttls(context=_tls_context(settings))
            smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
    return smtp


def _tls_context(settings: EmailConfig) -> ssl.SSLContext:
    cafile = str(settings.ca_file) if settings.ca_file else None
    return ssl.create_default_context(cafile=cafile)  # verifies the chain and the host name


def _credentials(settings: EmailConfig) -> tuple[str, str] | None:
    if not settings.username_env and not settings.password_env:
        return None
    missing = [name for name in (settings.username_env, settings.password_env) if not name or name not in os.environ]
    if missing:
        raise PermanentFailure(
            f"email credentials: set the environment variable(s) {', '.join(str(m) for m in missing)} "
            "(named by email.username_env and email.password_env)"
        )
    return os.environ[settings.username_env], os.environ[settings.password_env]  # type: ignore[index]


def _port(settings: EmailConfig) -> int:
    return settings.port or _DEFAULT_PORTS[settings.security]


def _too_large_note(size: int, limit_mb: float, location: str | None) -> str:
    where = f" It is here: {location}" if location else " It is in the briefing archive."
    return (f"The PDF edition ({size / 1_000_000:.1f} MB) is larger than the {limit_mb:g} MB this mail "
            f"may carry, so it is not attached.{where}")


def _with_note(html: str, note: str) -> str:
    block = f'<p style="padding:8px;border:1px solid #c99;background:#fff6f6">{escape(note)}</p>'
    head, found, tail = html.partition("<body")
    if not found:
        return block + html
    opening_end = tail.find(">") + 1
    return f"{head}<body{tail[:opening_end]}{block}{tail[opening_end:]}"


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return _reply_text(exc.smtp_code, exc.smtp_error)


def _reply_text(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {message}".strip()


def _refusals(refused: dict) -> str:
    return "; ".join(f"{address}: {_reply_text(code, text)}" for address, (code, text) in refused.items())
