"""Transactional email: SMTP settings, templates, and a queue that never blocks a request."""

from __future__ import annotations

import asyncio
import html
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from string import Template
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib

from onepizza.config import ConfigError, Settings

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
SEND_TIMEOUT = 10.0  # seconds for one whole SMTP conversation
RETRY_DELAYS = (0.5, 1.0)  # backoff before each retry; so at most two retries

RESEND_HOST = "smtp.resend.com"
RESEND_PORT = 465


@dataclass(frozen=True)
class SmtpConfig:
    """Where mail goes and as whom; the password stays out of repr (and so out of logs)."""

    host: str
    port: int
    use_tls: bool  # implicit TLS (smtps); otherwise STARTTLS when the server offers it
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = ""  # envelope sender, the bare address of EMAIL_FROM

    def send_options(self) -> dict[str, Any]:
        return {
            "hostname": self.host,
            "port": self.port,
            "use_tls": self.use_tls,
            # None = upgrade opportunistically; it must be off when TLS is implicit.
            "start_tls": False if self.use_tls else None,
            "username": self.username,
            "password": self.password,
            "timeout": SEND_TIMEOUT,
        }


def smtp_config(settings: Settings) -> SmtpConfig | None:
    """Resolve SMTP_URL, else Resend's SMTP relay from RESEND_API_KEY, else None (no email)."""
    sender = parseaddr(settings.email_from)[1] or settings.email_from
    if settings.smtp_url:
        return _from_url(settings.smtp_url, sender)
    if settings.resend_api_key:
        return SmtpConfig(
            host=RESEND_HOST,
            port=RESEND_PORT,
            use_tls=True,
            username="resend",
            password=settings.resend_api_key,
            sender=sender,
        )
    return None


def _from_url(url: str, sender: str) -> SmtpConfig:
    # The URL carries a password, so no error message quotes it.
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("SMTP_URL must look like smtp://user:pass@host:port or smtps://...")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("SMTP_URL has an invalid port") from None
    use_tls = scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if use_tls else 587),
        use_tls=use_tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=sender,
    )


@dataclass(frozen=True)
class _Template:
    subject: str
    text: Template
    html: Template


_TEMPLATES = {
    "welcome": _Template(
        "Welcome to onepizza",
        Template(
            "Welcome to onepizza!\n\n"
            "Your $account_type account is ready. Create an API key and your first meeting "
            "from the dashboard:\n\n$dashboard_url\n"
        ),
        Template(
            "<p>Welcome to onepizza!</p>"
            "<p>Your $account_type account is ready. Create an API key and your first meeting "
            'from the <a href="$dashboard_url">dashboard</a>.</p>'
        ),
    ),
    "password_reset": _Template(
        "Reset your onepizza password",
        Template(
            "Someone asked to reset the password of your onepizza account.\n\n"
            "Choose a new password here (the link expires in 1 hour):\n\n$reset_url\n\n"
            "If it was not you, ignore this email: your password stays the same.\n"
        ),
        Template(
            "<p>Someone asked to reset the password of your onepizza account.</p>"
            '<p><a href="$reset_url">Choose a new password</a> (the link expires in 1 hour).</p>'
            "<p>If it was not you, ignore this email: your password stays the same.</p>"
        ),
    ),
    "password_changed": _Template(
        "Your onepizza password was changed",
        Template(
            "The password of your onepizza account was just changed.\n\n"
            "If it was not you, reset your password now:\n\n$forgot_url\n"
        ),
        Template(
            "<p>The password of your onepizza account was just changed.</p>"
            '<p>If it was not you, <a href="$forgot_url">reset your password</a> now.</p>'
        ),
    ),
    "low_balance": _Template(
        "Your onepizza balance is low",
        Template(
            "Your onepizza balance is $balance, below your alert threshold of $threshold.\n\n"
            "Top up from the dashboard so your meetings keep running:\n\n$dashboard_url\n"
        ),
        Template(
            "<p>Your onepizza balance is $balance, below your alert threshold of "
            "$threshold.</p>"
            '<p>Top up from the <a href="$dashboard_url">dashboard</a> so your meetings keep '
            "running.</p>"
        ),
    ),
}


@dataclass(frozen=True)
class _Job:
    template: str
    to: str
    params: dict[str, str] = field(repr=False)  # may hold a reset token


class Mailer:
    """Queues transactional emails; one background worker delivers them over SMTP."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._config = smtp_config(settings)
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._worker: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        if self._config is not None and self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="onepizza-mailer")

    # Its own timeout, not the caller's: once the drain budget is spent it must still cancel the
    # worker and account for what was dropped, which an outer asyncio.timeout would cut short.
    async def close(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Let the worker drain the queue for up to `timeout` seconds, then stop it."""
        self._closing = True
        if self._worker is None:
            self._drop_queued()
            return
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            log.warning("email queue not drained within %.1f s; stopping", timeout)
        self._worker.cancel()
        await asyncio.gather(self._worker, return_exceptions=True)
        self._worker = None
        self._drop_queued()

    async def wait_idle(self) -> None:
        """Wait until everything queued was delivered or given up (needs start())."""
        await self._queue.join()

    def send_welcome(self, to: str, *, account_type: str) -> None:
        self._enqueue("welcome", to, account_type=account_type, dashboard_url=self._dashboard)

    def send_password_reset(self, to: str, *, reset_url: str) -> None:
        self._enqueue("password_reset", to, reset_url=reset_url)

    def send_password_changed(self, to: str) -> None:
        self._enqueue("password_changed", to, forgot_url=self._settings.app_url + "/forgot")

    def send_low_balance(self, to: str, *, balance: str, threshold: str) -> None:
        self._enqueue(
            "low_balance", to, balance=balance, threshold=threshold, dashboard_url=self._dashboard
        )

    @property
    def _dashboard(self) -> str:
        return self._settings.app_url + "/dashboard"

    def _enqueue(self, template: str, to: str, **params: str) -> None:
        # Logs name the template and recipient only: params may hold a reset token.
        if self._config is None:
            log.info("email %s to %s skipped: no SMTP_URL or RESEND_API_KEY", template, to)
            return
        if self._closing:
            log.warning("email %s to %s dropped: the mailer is closing", template, to)
            return
        try:
            self._queue.put_nowait(_Job(template, to, params))
        except asyncio.QueueFull:
            log.warning("email %s to %s dropped: the queue is full", template, to)

    def _drop_queued(self) -> None:
        dropped = 0
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()
            dropped += 1
        if dropped:
            log.warning("%d queued emails dropped at shutdown", dropped)

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._deliver(job)
            except asyncio.CancelledError:
                log.warning("email %s to %s abandoned at shutdown", job.template, job.to)
                raise
            except Exception as exc:
                # Keep the worker alive whatever one message does; the type is enough to triage.
                log.warning("email %s to %s failed: %s", job.template, job.to, type(exc).__name__)
            finally:
                self._queue.task_done()

    async def _deliver(self, job: _Job) -> None:
        message = self._render(job)
        for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
            try:
                async with asyncio.timeout(SEND_TIMEOUT):
                    await aiosmtplib.send(message, **self._send_options(job))
            except OSError as exc:  # refused, reset or timed out: worth another try
                if delay is None:
                    log.warning(
                        "email %s to %s failed after %d attempts: %s",
                        job.template,
                        job.to,
                        attempt,
                        _reason(exc),
                    )
                    return
                log.info("email %s to %s: attempt %d failed", job.template, job.to, attempt)
                await asyncio.sleep(delay)
            except aiosmtplib.SMTPException as exc:  # the server said no; retrying won't help
                log.warning("email %s to %s rejected: %s", job.template, job.to, _reason(exc))
                return
            else:
                log.info("email %s to %s sent", job.template, job.to)
                return

    def _send_options(self, job: _Job) -> dict[str, Any]:
        assert self._config is not None  # the worker only runs with a config
        return {
            **self._config.send_options(),
            "sender": self._config.sender,
            "recipients": [job.to],
        }

    def _render(self, job: _Job) -> EmailMessage:
        template = _TEMPLATES[job.template]
        escaped = {key: html.escape(value, quote=True) for key, value in job.params.items()}
        message = EmailMessage()
        message["From"] = self._settings.email_from
        message["To"] = job.to
        message["Subject"] = template.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self._sender_domain)
        message.set_content(template.text.substitute(job.params))
        message.add_alternative(_html_page(template.html.substitute(escaped)), subtype="html")
        return message

    @property
    def _sender_domain(self) -> str:
        # make_msgid() would otherwise look up this host's FQDN on every message.
        assert self._config is not None
        return self._config.sender.rpartition("@")[2] or "localhost"


def _reason(exc: BaseException) -> str:
    # A timeout's message is empty; the type still says what happened.
    return str(exc) or type(exc).__name__


def _html_page(body: str) -> str:
    return f'<!doctype html>\n<html><body style="font-family:sans-serif">{body}</body></html>\n'
