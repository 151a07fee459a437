"""The Python SDK: an async REST client and a Socket.IO bot for onepizza."""

from onepizza.client.bot import Bot
from onepizza.client.rest import OnepizzaClient, OnepizzaError

__all__ = ["Bot", "OnepizzaClient", "OnepizzaError"]
