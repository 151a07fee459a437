"""Settings: read once from the environment at start, validated, then frozen."""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import limits
import platformdirs

from onepizza.services.passwords import MAX_BYTES as PASSWORD_MAX_BYTES
from onepizza.services.passwords import fits as password_fits

log = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32
MAINNET_USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
ETH_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")  # (and logging's aliases)
# RFC 7064/7065: stun:host[:port], turn(s):host[:port][?transport=udp|tcp]; host a name, an
# IPv4 address or a bracketed IPv6 one.
ICE_URL = re.compile(
    r"(?:stuns?:|turns?:)(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
    r"(?:\?transport=(?:udp|tcp))?"
)

# Rate-limit groups of spec §16, in the `limits` notation; each can be overridden by
# RATE_LIMIT_<GROUP> in the environment.
DEFAULT_RATE_LIMITS = {
    "auth": "10/15 minutes",
    "password": "3/15 minutes",
    "guest": "5/hour",
    "api": "100/15 minutes",
    "client_errors": "30/minute",
    # Requests on a session cookie, per user (the dashboard's reads and writes).
    "session": "600/15 minutes",
    # Current-password checks of change-password, per user: bounds the bcrypt work and the
    # guesses of whoever holds a session.
    "password_change": "5/15 minutes",
}

# Per-socket limits on Socket.IO events by group (realtime/limits.py says which event is in
# which group); each can be overridden by SOCKET_LIMIT_<GROUP>. `flood` counts a socket's
# refused events: past it, the socket is disconnected.
DEFAULT_SOCKET_LIMITS = {
    "chat": "10/10 seconds",
    "chat_reaction": "20/10 seconds",
    "reaction": "20/10 seconds",
    "captions": "60/10 seconds",
    "hand": "10/10 seconds",
    "media": "30/10 seconds",
    # ICE candidates come in bursts: a newcomer to a full meeting sends an offer and a few
    # dozen candidates to every other participant within seconds.
    "signaling": "2000/10 seconds",
    "waiting_room": "20/minute",
    "join": "20/minute",
    "events": "60/10 seconds",  # every other event (polls, Q&A, notes, breakout, stream, ...)
    "flood": "30/10 seconds",
}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    host: str = "0.0.0.0"
    port: int = 3000
    app_url: str = "http://localhost:3000"
    allowed_origins: tuple[str, ...] = ("http://localhost:3000",)
    database_url: str | None = field(default=None, repr=False)
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("onepizza")))
    session_secret: str = field(default="", repr=False)
    admin_email: str | None = None
    admin_password: str | None = field(default=None, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    smtp_url: str | None = field(default=None, repr=False)
    email_from: str = "onepizza <no-reply@localhost>"
    resend_api_key: str | None = field(default=None, repr=False)
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_price_id: str | None = None
    stripe_api_base: str | None = None
    turn_urls: tuple[str, ...] = ()
    turn_username: str | None = None
    turn_credential: str | None = field(default=None, repr=False)
    turn_secret: str | None = field(default=None, repr=False)
    crypto_mnemonic: str | None = field(default=None, repr=False)
    eth_rpc_url: str | None = field(default=None, repr=False)  # may carry a provider key
    usdc_contract: str = MAINNET_USDC
    eth_confirmations: int = 12
    eth_start_block: int | None = None
    usdc_poll_interval: float = 15.0
    recordings_dir: Path = Path("recordings")
    web_node_modules: Path | None = None  # the pages' npm packages (see api/pages.py)
    trust_proxy: int = 0
    rate_limits: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    socket_limits: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SOCKET_LIMITS))
    max_body_bytes: int = 1024 * 1024
    db_pool_max: int = 20
    health_db_timeout: float = 2.0
    bcrypt_rounds: int = 12
    meeting_grace_seconds: float = 60.0
    recording_max_bytes: int = 500 * 1024 * 1024
    recording_quota_bytes: int = 5 * 1024**3  # per account, all its recordings together
    recording_min_free_bytes: int = 1024**3  # left free on the disk after an upload
    recording_upload_window: float = 3600.0  # seconds after a meeting ends that uploads go on
    session_max_age: int = 7 * 24 * 3600
    shutdown_timeout: float = 20.0
    webhook_allow_insecure: bool = False
    websocket_compression: bool = False  # permessage-deflate on Socket.IO's websockets
    webhook_retry_scale: float = 1.0
    webhook_poll_interval: float = 5.0
    log_level: str = "INFO"

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    def with_database(self, url: str) -> Settings:
        return dataclasses.replace(self, database_url=url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping; raise ConfigError on bad input."""
        env = _Env(environ)
        mode = (env.text("ONEPIZZA_ENV") or env.text("NODE_ENV") or "development").lower()
        if mode not in ("development", "production", "test"):
            raise ConfigError(f"NODE_ENV must be development, production or test, not {mode!r}")
        production = mode == "production"

        session_secret = env.text("SESSION_SECRET")
        if production and not session_secret:
            raise ConfigError("SESSION_SECRET is required in production")
        if session_secret and len(session_secret) < MIN_SECRET_LENGTH:
            raise ConfigError(f"SESSION_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        if not session_secret:
            log.warning("SESSION_SECRET is not set: using a random one; sessions end at restart")
            session_secret = secrets.token_urlsafe(48)

        admin_email = env.text("ADMIN_EMAIL")
        admin_password = env.text("ADMIN_PASSWORD")
        if production and not admin_email:
            raise ConfigError("ADMIN_EMAIL is required in production")
        if production and not admin_password:
            raise ConfigError("ADMIN_PASSWORD is required in production")
        if admin_password and not password_fits(admin_password):
            raise ConfigError(f"ADMIN_PASSWORD must be at most {PASSWORD_MAX_BYTES} bytes (UTF-8)")

        app_url = env.url("APP_URL", "http://localhost:3000").rstrip("/")
        origins = env.items("ALLOWED_ORIGINS") or ["http://localhost:3000"]
        for origin in origins:
            _check_url("ALLOWED_ORIGINS", origin)

        data_dir = env.text("ONEPIZZA_DATA_DIR")
        return cls(
            env=mode,
            host=env.text("HOST") or "0.0.0.0",
            port=env.integer("PORT", 3000, low=1, high=65535),
            app_url=app_url,
            allowed_origins=tuple(o.rstrip("/") for o in origins),
            database_url=env.database_url(),
            data_dir=Path(data_dir) if data_dir else Path(platformdirs.user_data_dir("onepizza")),
            session_secret=session_secret,
            admin_email=admin_email.strip().lower() if admin_email else None,
            admin_password=admin_password,
            redis_url=env.redis_url(),
            smtp_url=env.smtp_url(),
            email_from=env.text("EMAIL_FROM") or "onepizza <no-reply@localhost>",
            resend_api_key=env.text("RESEND_API_KEY"),
            stripe_secret_key=env.text("STRIPE_SECRET_KEY"),
            stripe_webhook_secret=env.text("STRIPE_WEBHOOK_SECRET"),
            stripe_price_id=env.text("STRIPE_PRICE_ID"),
            stripe_api_base=env.url("STRIPE_API_BASE", None),
            turn_urls=env.turn_urls(),
            turn_username=env.text("TURN_USERNAME"),
            turn_credential=env.text("TURN_CREDENTIAL"),
            turn_secret=env.text("TURN_SECRET"),
            crypto_mnemonic=env.text("CRYPTO_MNEMONIC"),
            eth_rpc_url=env.url("ETH_RPC_URL", None),
            usdc_contract=env.eth_address("USDC_CONTRACT", MAINNET_USDC),
            eth_confirmations=env.integer("ETH_CONFIRMATIONS", 12, low=0, high=10_000),
            eth_start_block=env.optional_integer("ETH_START_BLOCK", low=0, high=2**62),
            usdc_poll_interval=env.number("USDC_POLL_INTERVAL", 15.0, low=0.05, high=3600.0),
            recordings_dir=Path(env.text("RECORDINGS_DIR") or "recordings"),
            web_node_modules=env.path("WEB_NODE_MODULES"),
            trust_proxy=env.trust_proxy(),
            rate_limits=env.rate_limits(),
            socket_limits=env.limits("SOCKET_LIMIT", DEFAULT_SOCKET_LIMITS),
            max_body_bytes=env.integer("MAX_BODY_BYTES", 1024 * 1024, low=1024, high=2**31),
            db_pool_max=env.integer("DB_POOL_MAX", 20, low=1, high=1000),
            health_db_timeout=env.number("HEALTH_DB_TIMEOUT", 2.0, low=0.1, high=30.0),
            bcrypt_rounds=env.integer("BCRYPT_ROUNDS", 12, low=4, high=16),
            meeting_grace_seconds=env.number("MEETING_GRACE_SECONDS", 60.0, low=0.0, high=3600.0),
            recording_max_bytes=env.integer(
                "RECORDING_MAX_BYTES", 500 * 1024 * 1024, low=1024, high=2**40
            ),
            recording_quota_bytes=env.integer(
                "RECORDING_QUOTA_BYTES", 5 * 1024**3, low=1024, high=2**50
            ),
            recording_min_free_bytes=env.integer(
                "RECORDING_MIN_FREE_BYTES", 1024**3, low=0, high=2**60
            ),
            recording_upload_window=env.number(
                "RECORDING_UPLOAD_WINDOW_SECONDS", 3600.0, low=0.0, high=30 * 24 * 3600.0
            ),
            session_max_age=env.integer(
                "SESSION_MAX_AGE", 7 * 24 * 3600, low=300, high=365 * 24 * 3600
            ),
            shutdown_timeout=env.number("SHUTDOWN_TIMEOUT", 20.0, low=0.0, high=25.0),
            webhook_allow_insecure=_flag(env, "WEBHOOK_ALLOW_INSECURE"),
            websocket_compression=_flag(env, "WEBSOCKET_COMPRESSION"),
            webhook_retry_scale=env.number("WEBHOOK_RETRY_SCALE", 1.0, low=0.0001, high=100.0),
            webhook_poll_interval=env.number("WEBHOOK_POLL_INTERVAL", 5.0, low=0.05, high=300.0),
            log_level=env.log_level(),
        )


class _Env:
    """Typed, validating reads of one environment mapping."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ

    def text(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
        return value

    def optional_integer(self, name: str, *, low: int, high: int) -> int | None:
        if self.text(name) is None:
            return None
        return self.integer(name, low, low=low, high=high)

    def eth_address(self, name: str, default: str) -> str:
        raw = self.text(name)
        if raw is None:
            return default
        if not ETH_ADDRESS.fullmatch(raw):
            raise ConfigError(f"{name} must be a 0x-prefixed 40-digit hex address, not {raw!r}")
        return raw

    def number(self, name: str, default: float, *, low: float, high: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
        return value

    def path(self, name: str) -> Path | None:
        raw = self.text(name)
        return Path(raw).expanduser() if raw else None

    def items(self, name: str) -> list[str]:
        raw = self.text(name) or ""
        return [part.strip() for part in raw.split(",") if part.strip()]

    def url(self, name: str, default: str | None) -> str | None:
        raw = self.text(name)
        if raw is None:
            return default
        _check_url(name, raw)
        return raw

    def redis_url(self) -> str | None:
        """redis:// or rediss:// with a host (one Redis server, which the rate limits can reach
        too: no unix:// or sentinel URLs); it may carry a password, so no message quotes it."""
        raw = self.text("REDIS_URL")
        if raw is None:
            return None
        _check_service_url("REDIS_URL", raw, "redis://[:password@]host[:port][/db]")
        return raw

    def smtp_url(self) -> str | None:
        raw = self.text("SMTP_URL")
        if raw is None:
            return None
        _check_service_url("SMTP_URL", raw, "smtp://user:pass@host:port or smtps://...")
        return raw

    def turn_urls(self) -> tuple[str, ...]:
        urls = self.items("TURN_URLS")
        for url in urls:
            match = ICE_URL.fullmatch(url)
            port = match and match["port"]
            if not match or (port is not None and not 0 < int(port) < 65536):
                raise ConfigError(
                    "TURN_URLS must be a comma-separated list of turn:host:port, "
                    f"turns:host:port or stun:host:port URLs, not {url!r}"
                )
        return tuple(urls)

    def log_level(self) -> str:
        level = (self.text("LOG_LEVEL") or "INFO").upper()
        if level not in logging.getLevelNamesMapping():
            raise ConfigError(
                f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level.lower()!r}"
            )
        return level

    def database_url(self) -> str | None:
        for name in ("DATABASE_PUBLIC_URL", "DATABASE_URL"):
            raw = self.text(name)
            if raw is None:
                continue
            scheme = urlsplit(raw).scheme
            if scheme not in ("postgres", "postgresql"):
                raise ConfigError(f"{name} must be a postgresql:// URL")
            return raw
        return None

    def trust_proxy(self) -> int:
        raw = (self.text("TRUST_PROXY") or "0").lower()
        if raw in ("0", "false", "no", "off"):
            return 0
        if raw in ("1", "true", "yes", "on"):
            return 1
        return self.integer("TRUST_PROXY", 0, low=0, high=10)

    def rate_limits(self) -> dict[str, str]:
        return self.limits("RATE_LIMIT", DEFAULT_RATE_LIMITS)

    def limits(self, prefix: str, defaults: Mapping[str, str]) -> dict[str, str]:
        """One limit per group, each overridable by <prefix>_<GROUP>."""
        result = {}
        for group, default in defaults.items():
            name = f"{prefix}_{group.upper()}"
            value = self.text(name) or default
            try:
                if limits.parse(value).amount < 1:
                    raise ValueError(value)
            except ValueError:
                raise ConfigError(
                    f"{name} must be in the limits notation, e.g. '100/15 minutes', not {value!r}"
                ) from None
            result[group] = value
        return result


def _flag(env: _Env, name: str) -> bool:
    raw = (env.text(name) or "0").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, not {raw!r}")


SERVICE_SCHEMES = {"REDIS_URL": ("redis", "rediss"), "SMTP_URL": ("smtp", "smtps")}


def _check_service_url(name: str, value: str, shape: str) -> None:
    """The scheme, a host and a valid port; the message never quotes the value, which may
    carry a password."""
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError when out of range or not a number
    except ValueError:
        raise ConfigError(f"{name} has an invalid port (it must look like {shape})") from None
    if parts.scheme.lower() not in SERVICE_SCHEMES[name] or not parts.hostname:
        raise ConfigError(f"{name} must look like {shape}")


def _check_url(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}")
