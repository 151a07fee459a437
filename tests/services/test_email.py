"""Transactional email against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import asyncio
import logging
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller

from onepizza.config import ConfigError, Settings
from onepizza.services import email as email_service
from onepizza.services.email import Mailer, SmtpConfig, smtp_config
from tests.conftest import TEST_ENV, free_port

APP_URL = "https://pizza.example.test"
SENDER = "no-reply@example.com"
FROM = f"onepizza <{SENDER}>"
TO = "ada@example.com"
TOKEN = "tok_3f9c2a7e5b1d4c8a"
RESET_URL = f"{APP_URL}/reset?token={TOKEN}"


def make_settings(**env: str) -> Settings:
    return Settings.from_env({**TEST_ENV, "APP_URL": APP_URL, "EMAIL_FROM": FROM, **env})


class Inbox:
    """aiosmtpd handler keeping what it accepts; refuses recipients at refused.example."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


@pytest.fixture
def inbox():
    handler = Inbox()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
async def mailer(inbox):
    mailer = Mailer(make_settings(SMTP_URL=f"smtp://127.0.0.1:{inbox.port}"))
    await mailer.start()
    yield mailer
    await asyncio.wait_for(mailer.close(), 7)  # a close that never returns fails the test


@pytest.fixture
def fast_retries(monkeypatch):
    """The module's retry schedule, 100 times faster: the number of retries stays the real one."""
    fast = tuple(delay / 100 for delay in email_service.RETRY_DELAYS)
    monkeypatch.setattr(email_service, "RETRY_DELAYS", fast)


@pytest.fixture
def send_calls(monkeypatch):
    """Counts SMTP conversations the mailer starts, still delivering through the real client."""
    calls = []
    real_send = aiosmtplib.send

    async def counting_send(*args, **kwargs):
        calls.append(kwargs["recipients"])
        return await real_send(*args, **kwargs)

    monkeypatch.setattr(aiosmtplib, "send", counting_send)
    return calls


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


EMAILS = [
    pytest.param(
        lambda m: m.send_welcome(TO, account_type="developer"),
        "Welcome to onepizza",
        ["developer account", f"{APP_URL}/dashboard"],
        id="welcome",
    ),
    pytest.param(
        lambda m: m.send_password_reset(TO, reset_url=RESET_URL),
        "Reset your onepizza password",
        [RESET_URL, "expires in 1 hour"],
        id="password-reset",
    ),
    pytest.param(
        lambda m: m.send_password_changed(TO),
        "Your onepizza password was changed",
        ["If it was not you", f"{APP_URL}/forgot"],
        id="password-changed",
    ),
    pytest.param(
        lambda m: m.send_low_balance(TO, balance="$1.50", threshold="$5.00"),
        "Your onepizza balance is low",
        ["$1.50", "$5.00", f"{APP_URL}/dashboard"],
        id="low-balance",
    ),
]


@pytest.mark.parametrize(("send", "subject", "snippets"), EMAILS)
async def test_each_email_arrives_with_headers_and_both_bodies(
    mailer, inbox, send, subject, snippets
):
    send(mailer)
    await asyncio.wait_for(mailer.wait_idle(), 5)

    [envelope] = inbox.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == [TO]
    [message] = inbox.messages()
    assert message["From"] == FROM
    assert message["To"] == TO
    assert message["Subject"] == subject
    assert message["Date"]
    assert message["Message-ID"].endswith("@example.com>")
    text, html = parts(message)
    for snippet in snippets:
        assert snippet in text
        assert snippet in html


async def test_reset_email_has_url_verbatim_and_logs_neither_token_nor_url(mailer, inbox, caplog):
    long_url = RESET_URL + "&next=" + "x" * 120  # longer than a mail line: must survive folding
    with caplog.at_level(logging.DEBUG):
        mailer.send_password_reset(TO, reset_url=long_url)
        await asyncio.wait_for(mailer.wait_idle(), 5)

    text, html = parts(inbox.messages()[0])
    assert long_url in text.split()
    assert long_url.replace("&", "&amp;") in html
    # Everything logged on the sending side; aiosmtpd ("mail.log") is the test's server and
    # echoes the DATA it receives at DEBUG.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert "email password_reset to ada@example.com sent" in logged  # it logs, minus secrets
    assert TOKEN not in logged
    assert RESET_URL not in logged


async def test_html_part_escapes_user_text_and_urls(mailer, inbox):
    mailer.send_welcome(TO, account_type="<b>team</b>")
    mailer.send_password_reset(TO, reset_url=f'{APP_URL}/reset?token=a&x="><script>')
    await asyncio.wait_for(mailer.wait_idle(), 5)

    (welcome_text, welcome_html), (reset_text, reset_html) = map(parts, inbox.messages())
    assert "<b>team</b>" in welcome_text
    assert "&lt;b&gt;team&lt;/b&gt;" in welcome_html
    assert "<b>" not in welcome_html
    assert f'{APP_URL}/reset?token=a&x="><script>' in reset_text
    assert f"{APP_URL}/reset?token=a&amp;x=&quot;&gt;&lt;script&gt;" in reset_html
    assert "<script>" not in reset_html


async def test_without_smtp_emails_are_logged_as_skipped_and_not_sent(monkeypatch, caplog):
    async def must_not_send(*args, **kwargs):
        raise AssertionError("no SMTP is configured, nothing may be sent")

    monkeypatch.setattr(aiosmtplib, "send", must_not_send)
    mailer = Mailer(make_settings())
    await mailer.start()
    with caplog.at_level(logging.INFO):
        mailer.send_password_reset(TO, reset_url=RESET_URL)
        await asyncio.wait_for(mailer.wait_idle(), 1)
        await mailer.close()

    [record] = [r for r in caplog.records if r.name == email_service.__name__]
    assert record.levelno == logging.INFO
    assert "skipped" in record.getMessage()
    assert "password_reset" in record.getMessage()
    assert TO in record.getMessage()
    assert TOKEN not in caplog.text


async def test_close_drains_what_is_queued(mailer, inbox):
    for n in range(5):
        mailer.send_password_changed(f"user{n}@example.com")
    await mailer.close(timeout=5)

    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == [
        f"user{n}@example.com" for n in range(5)
    ]


async def test_dead_server_never_delays_the_caller_and_close_keeps_its_timeout(caplog):
    mailer = Mailer(make_settings(SMTP_URL=f"smtp://127.0.0.1:{free_port()}"))
    await mailer.start()

    started = time.perf_counter()
    mailer.send_welcome(TO, account_type="developer")
    assert time.perf_counter() - started < 0.1

    # The worker is now retrying with backoff; close must not wait for it to give up.
    with caplog.at_level(logging.WARNING):
        started = time.perf_counter()
        await asyncio.wait_for(mailer.close(timeout=0.3), 2)  # fail, don't hang, if it overruns
        assert time.perf_counter() - started < 0.8

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("welcome" in w and TO in w and "abandoned" in w for w in warnings)


async def test_dead_server_is_retried_twice_then_logged(fast_retries, send_calls, caplog):
    mailer = Mailer(make_settings(SMTP_URL=f"smtp://127.0.0.1:{free_port()}"))
    await mailer.start()
    with caplog.at_level(logging.WARNING):
        mailer.send_welcome(TO, account_type="developer")
        await asyncio.wait_for(mailer.wait_idle(), 5)
        await mailer.close(timeout=1)

    assert len(send_calls) == 3
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "welcome" in warning
    assert TO in warning
    assert "after 3 attempts" in warning


async def test_silent_server_is_cut_off_by_the_send_timeout(fast_retries, monkeypatch, caplog):
    release = asyncio.Event()

    async def never_greet(reader, writer):
        await release.wait()
        writer.close()

    server = await asyncio.start_server(never_greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(email_service, "SEND_TIMEOUT", 0.2)
    mailer = Mailer(make_settings(SMTP_URL=f"smtp://127.0.0.1:{port}"))
    await mailer.start()
    try:
        with caplog.at_level(logging.WARNING):
            started = time.perf_counter()
            mailer.send_password_changed(TO)
            await asyncio.wait_for(mailer.wait_idle(), 3)
        assert time.perf_counter() - started < 1.5  # 3 attempts of 0.2 s, not 3 of 10 s
        assert "after 3 attempts" in caplog.text
    finally:
        await mailer.close(timeout=1)
        release.set()
        server.close()


async def test_refused_recipient_is_not_retried(mailer, inbox, send_calls, caplog):
    with caplog.at_level(logging.WARNING):
        mailer.send_password_changed("nobody@refused.example")
        await asyncio.wait_for(mailer.wait_idle(), 5)

    assert len(send_calls) == 1
    assert inbox.envelopes == []
    assert "password_changed to nobody@refused.example rejected" in caplog.text


async def test_full_queue_drops_with_a_warning_instead_of_blocking(monkeypatch, caplog):
    monkeypatch.setattr(email_service, "QUEUE_SIZE", 2)
    mailer = Mailer(make_settings(SMTP_URL=f"smtp://127.0.0.1:{free_port()}"))  # not started
    with caplog.at_level(logging.WARNING):
        mailer.send_password_changed("a@example.com")
        mailer.send_password_changed("b@example.com")
        mailer.send_password_reset("c@example.com", reset_url=RESET_URL)
        await mailer.close()
        mailer.send_password_changed("d@example.com")

    messages = [r.getMessage() for r in caplog.records]
    assert "email password_reset to c@example.com dropped: the queue is full" in messages
    assert "2 queued emails dropped at shutdown" in messages
    assert "email password_changed to d@example.com dropped: the mailer is closing" in messages
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(
            {"SMTP_URL": "smtp://user:secret@mail.example.com:2525"},
            SmtpConfig("mail.example.com", 2525, False, "user", "secret", SENDER),
            id="smtp",
        ),
        pytest.param(
            {"SMTP_URL": "smtp://mail.example.com"},
            SmtpConfig("mail.example.com", 587, False, None, None, SENDER),
            id="smtp-default-port-587",
        ),
        pytest.param(
            {"SMTP_URL": "smtp://mail.example.com:25"},
            SmtpConfig("mail.example.com", 25, False, None, None, SENDER),
            id="smtp-explicit-port-25",
        ),
        pytest.param(
            {"SMTP_URL": "smtps://user:secret@mail.example.com"},
            SmtpConfig("mail.example.com", 465, True, "user", "secret", SENDER),
            id="smtps-default-port-465",
        ),
        pytest.param(
            {"SMTP_URL": "smtp://me%40example.com:p%40ss%2Fw%3Ard@mail.example.com:587"},
            SmtpConfig("mail.example.com", 587, False, "me@example.com", "p@ss/w:rd", SENDER),
            id="percent-encoded-credentials",
        ),
        pytest.param(
            {"RESEND_API_KEY": "re_live_key"},
            SmtpConfig("smtp.resend.com", 465, True, "resend", "re_live_key", SENDER),
            id="resend",
        ),
        pytest.param(
            {"RESEND_API_KEY": "re_live_key", "SMTP_URL": "smtp://mail.example.com"},
            SmtpConfig("mail.example.com", 587, False, None, None, SENDER),
            id="smtp-url-wins-over-resend",
        ),
        pytest.param({}, None, id="neither"),
    ],
)
def test_smtp_config_resolution(env, expected):
    assert smtp_config(make_settings(**env)) == expected


def test_smtp_config_repr_hides_the_password():
    config = smtp_config(make_settings(SMTP_URL="smtps://user:hunter2-secret@mail.example.com"))

    assert config.password == "hunter2-secret"
    assert "hunter2-secret" not in repr(config)
    assert "mail.example.com" in repr(config)


@pytest.mark.parametrize(
    "url", ["http://user:hunter2@mail.example.com", "smtp://user:hunter2@", "smtp://h:99999"]
)
def test_malformed_smtp_url_is_a_config_error_that_hides_the_password(url):
    with pytest.raises(ConfigError, match="SMTP_URL") as error:
        smtp_config(make_settings(SMTP_URL=url))
    assert "hunter2" not in str(error.value)
