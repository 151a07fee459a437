"""Settings read from the environment: defaults, aliases and clear errors."""

import logging
import os
import subprocess
import sys

import pytest

from onepizza.config import ConfigError, Settings

SECRET = "s" * 32
PROD = {
    "NODE_ENV": "production",
    "SESSION_SECRET": SECRET,
    "ADMIN_EMAIL": "admin@example.com",
    "ADMIN_PASSWORD": "admin-password",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/onepizza",
}


def test_defaults_in_development(caplog):
    with caplog.at_level(logging.WARNING):
        settings = Settings.from_env({})
    assert settings.env == "development"
    assert settings.port == 3000
    assert settings.app_url == "http://localhost:3000"
    assert settings.allowed_origins == ("http://localhost:3000",)
    assert settings.database_url is None and settings.embedded_database
    assert len(settings.session_secret) >= 32
    assert "SESSION_SECRET is not set" in caplog.text
    assert settings.rate_limits["api"] == "100/15 minutes"
    assert settings.rate_limits["guest"] == "5/hour"


def test_generated_secret_differs_each_start():
    assert Settings.from_env({}).session_secret != Settings.from_env({}).session_secret


def test_production_accepts_complete_environment():
    settings = Settings.from_env(PROD)
    assert settings.production
    assert settings.session_secret == SECRET
    assert settings.admin_email == "admin@example.com"


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"SESSION_SECRET": ""}, "SESSION_SECRET"),
        ({"SESSION_SECRET": "short"}, "SESSION_SECRET"),
        ({"ADMIN_EMAIL": ""}, "ADMIN_EMAIL"),
        ({"ADMIN_PASSWORD": ""}, "ADMIN_PASSWORD"),
        ({"PORT": "abc"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"APP_URL": "not a url"}, "APP_URL"),
        ({"ALLOWED_ORIGINS": "https://ok.example, ftp://bad"}, "ALLOWED_ORIGINS"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"RATE_LIMIT_API": "lots"}, "RATE_LIMIT_API"),
        ({"TRUST_PROXY": "maybe"}, "TRUST_PROXY"),
        ({"NODE_ENV": "staging"}, "NODE_ENV"),
    ],
)
def test_bad_values_name_the_variable(change, variable):
    with pytest.raises(ConfigError) as err:
        Settings.from_env({**PROD, **change})
    assert variable in str(err.value)


def test_short_secret_refused_in_development_too():
    with pytest.raises(ConfigError, match="SESSION_SECRET"):
        Settings.from_env({"SESSION_SECRET": "short"})


def test_database_public_url_wins_over_alias():
    settings = Settings.from_env(
        {
            "DATABASE_PUBLIC_URL": "postgresql://a@127.0.0.1/one",
            "DATABASE_URL": "postgresql://b@127.0.0.1/two",
        }
    )
    assert settings.database_url.endswith("/one")
    assert Settings.from_env({"DATABASE_URL": "postgres://b@h/two"}).database_url.endswith("/two")


def test_onepizza_env_is_accepted_and_wins():
    settings = Settings.from_env({**PROD, "NODE_ENV": "development", "ONEPIZZA_ENV": "production"})
    assert settings.production


def test_lists_and_tunables():
    settings = Settings.from_env(
        {
            "ALLOWED_ORIGINS": "https://a.example/, https://b.example",
            "TURN_URLS": "turn:a:3478,turns:b:5349",
            "RATE_LIMIT_API": "1000/minute",
            "TRUST_PROXY": "true",
            "ONEPIZZA_DATA_DIR": "/srv/onepizza-data",
        }
    )
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.turn_urls == ("turn:a:3478", "turns:b:5349")
    assert settings.rate_limits["api"] == "1000/minute"
    assert settings.trust_proxy == 1
    assert str(settings.data_dir) == "/srv/onepizza-data"


def test_secrets_do_not_appear_in_repr():
    settings = Settings.from_env(
        {**PROD, "STRIPE_SECRET_KEY": "sk_live_topsecret", "CRYPTO_MNEMONIC": "word " * 12}
    )
    text = repr(settings)
    for secret in (SECRET, "admin-password", "sk_live_topsecret", "word word", "postgresql://"):
        assert secret not in text


def test_settings_are_frozen():
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.port = 1


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REDIS_URL", "notaurl"),
        ("REDIS_URL", "http://cache.example:6379"),
        ("REDIS_URL", "redis://:hunter2@cache.example:99999"),
        ("REDIS_URL", "redis://"),
        ("REDIS_URL", "unix:///run/redis.sock"),
        ("REDIS_URL", "redis+sentinel://h:26379/mymaster"),
        ("SMTP_URL", "notaurl"),
        ("SMTP_URL", "smtp://user:hunter2@"),
        ("SMTP_URL", "smtp://user:hunter2@mail.example:0x19"),
        ("LOG_LEVEL", "bogus"),
        ("TURN_URLS", "notaurl"),
        ("TURN_URLS", "turn:ok.example:3478,https://turn.example"),
        ("TURN_URLS", "turn:host.example:99999"),
        ("TURN_URLS", "turn:host.example:3478?transport=sctp"),
        ("ADMIN_PASSWORD", "é" * 40),
    ],
)
def test_every_malformed_value_names_its_variable_and_hides_secrets(variable, value):
    with pytest.raises(ConfigError) as err:
        Settings.from_env({**PROD, variable: value})
    message = str(err.value)
    assert message.startswith(variable), message
    assert "\n" not in message
    assert "hunter2" not in message


def test_well_formed_urls_and_levels_are_accepted():
    settings = Settings.from_env(
        {
            "REDIS_URL": "rediss://:pw@cache.example:6380/2",
            "SMTP_URL": "smtps://user:pw@mail.example",
            "LOG_LEVEL": "debug",
            "TURN_URLS": "turn:a.example:3478?transport=tcp, turns:[2001:db8::1]:5349, stun:s",
        }
    )
    assert settings.redis_url.startswith("rediss://")
    assert settings.smtp_url.startswith("smtps://")
    assert settings.log_level == "DEBUG"
    assert len(settings.turn_urls) == 3
    assert Settings.from_env({}).log_level == "INFO"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("REDIS_URL", "notaurl"), ("SMTP_URL", "notaurl"), ("LOG_LEVEL", "bogus")],
)
def test_serve_stops_at_start_with_one_line(variable, value):
    """Not "listening…" and then a traceback: one line naming the variable, exit status 2."""
    environ = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SMTP_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "onepizza", "serve", "--port", "0"],
        # A database that never answers: the configuration must stop the start before it.
        env={
            **environ,
            "NODE_ENV": "development",
            "SESSION_SECRET": SECRET,
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            variable: value,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"onepizza: configuration error: {variable} ")
