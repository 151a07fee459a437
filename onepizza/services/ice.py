"""ICE servers of spec §13: the STUN defaults plus TURN, static or coturn REST-API credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

from onepizza.config import Settings

STUN_SERVERS = (
    "stun:stun.l.google.com:19302",
    "stun:stun1.l.google.com:19302",
)

# How long short-lived TURN credentials (TURN_SECRET) stay valid, in seconds.
TURN_CREDENTIAL_TTL = 12 * 3600


def ice_servers(
    settings: Settings, *, now: float | None = None, participant: str | None = None
) -> list[dict[str, Any]]:
    """The RTCIceServer list for a client: STUN always, TURN when TURN_URLS is set.

    With TURN_SECRET the TURN entry carries time-limited credentials in coturn's REST-API
    scheme (`use-auth-secret`): username "<expiry>:<id>", credential
    base64(HMAC-SHA1(secret, username)). Otherwise TURN_USERNAME/TURN_CREDENTIAL are
    given as they are. TURN URLs with no credentials at all are left out: browsers reject a
    turn: server without a username and credential."""
    servers: list[dict[str, Any]] = [{"urls": url} for url in STUN_SERVERS]
    if not settings.turn_urls:
        return servers

    if settings.turn_secret:
        expiry = int(time.time() if now is None else now) + TURN_CREDENTIAL_TTL
        username = f"{expiry}:{participant or secrets.token_hex(8)}"
        credential = turn_credential(settings.turn_secret, username)
    elif settings.turn_username and settings.turn_credential:
        username, credential = settings.turn_username, settings.turn_credential
    else:
        return servers

    urls = settings.turn_urls
    servers.append(
        {
            "urls": urls[0] if len(urls) == 1 else list(urls),
            "username": username,
            "credential": credential,
        }
    )
    return servers


def turn_credential(secret: str, username: str) -> str:
    """base64(HMAC-SHA1(secret, username)), the password coturn's use-auth-secret expects."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")
