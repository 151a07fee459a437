"""Stripe card top-ups: Checkout Sessions through the stripe library, and webhook events."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

import aiohttp
import stripe

from onepizza.errors import AppError, BadRequest, ServiceUnavailable

log = logging.getLogger(__name__)

STRIPE_TIMEOUT = 20.0  # seconds for one call to Stripe's API (the library retries twice)
# A Checkout Session is paid at completion (cards), or later for delayed methods.
PAID_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})


class PaymentProviderError(AppError):
    status = 502


@dataclass(frozen=True)
class CheckoutPayment:
    """A paid Checkout Session, as a verified webhook event describes it."""

    event_id: str
    session_id: str
    reference: str | None  # client_reference_id
    metadata_account: str | None
    amount_cents: int
    currency: str | None


class StripePayments:
    """Creates Checkout Sessions and reads signed webhook events."""

    def __init__(self, settings):
        self._secret_key = settings.stripe_secret_key
        self._webhook_secret = settings.stripe_webhook_secret
        self._api_base = settings.stripe_api_base
        self._app_url = settings.app_url
        self._http: stripe.AIOHTTPClient | None = None
        self._client: stripe.StripeClient | None = None

    def _stripe(self) -> stripe.StripeClient:
        if not self._secret_key:
            raise ServiceUnavailable("Card payments are not configured")
        if self._client is None:  # made on first use, inside the running loop
            self._http = stripe.AIOHTTPClient(timeout=aiohttp.ClientTimeout(total=STRIPE_TIMEOUT))
            self._client = stripe.StripeClient(
                self._secret_key,
                base_addresses={"api": self._api_base} if self._api_base else None,
                http_client=self._http,
            )
        return self._client

    async def checkout_url(self, *, reference: str, amount: Decimal, email: str) -> str:
        """A hosted Checkout page charging `amount` USD; `reference` names the account to
        credit and comes back in the webhook as client_reference_id and metadata."""
        client = self._stripe()
        try:
            session = await client.v1.checkout.sessions.create_async(
                params=self._checkout_params(reference, amount, email)
            )
        except stripe.StripeError as exc:
            log.warning("Stripe checkout failed: %s: %s", type(exc).__name__, exc.user_message)
            raise PaymentProviderError("Card payments are unavailable; try again later") from None
        if not session.url:
            raise PaymentProviderError("Card payments are unavailable; try again later")
        return session.url

    def _checkout_params(self, reference: str, amount: Decimal, email: str) -> dict:
        return {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": int(amount * 100),
                        "product_data": {"name": "onepizza credit"},
                    },
                }
            ],
            "success_url": f"{self._app_url}/dashboard?topup=success",
            "cancel_url": f"{self._app_url}/dashboard?topup=cancelled",
            "client_reference_id": reference,
            "metadata": {"account": reference},
            "customer_email": email,
        }

    def paid_checkout(self, payload: bytes, signature: str | None) -> CheckoutPayment | None:
        """The paid Checkout Session a signed event reports, or None for any other event.
        400 for a missing, wrong or stale signature or a malformed payload."""
        if not self._webhook_secret:
            raise ServiceUnavailable("Stripe webhooks are not configured")
        try:
            event = stripe.Webhook.construct_event(payload, signature, self._webhook_secret)
        except stripe.SignatureVerificationError:
            raise BadRequest("Invalid Stripe signature") from None
        except (ValueError, TypeError, AttributeError):  # not UTF-8, not JSON, not an object
            raise BadRequest("Invalid webhook payload") from None
        return _paid_checkout(event.to_dict())

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close_async()


def _paid_checkout(event: dict) -> CheckoutPayment | None:
    if event.get("type") not in PAID_EVENTS:
        return None
    data = event.get("data")
    session = data.get("object") if isinstance(data, dict) else None
    if not isinstance(session, dict) or session.get("payment_status") != "paid":
        return None
    cents, session_id = session.get("amount_total"), session.get("id")
    if type(cents) is not int or not isinstance(session_id, str):
        return None
    metadata = session.get("metadata")
    return CheckoutPayment(
        event_id=str(event.get("id")),
        session_id=session_id,
        reference=session.get("client_reference_id"),
        metadata_account=metadata.get("account") if isinstance(metadata, dict) else None,
        amount_cents=cents,
        currency=session.get("currency"),
    )
