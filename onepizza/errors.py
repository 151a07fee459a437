"""Errors that services and handlers raise; the error middleware turns them into JSON."""

from __future__ import annotations

from collections.abc import Mapping


class AppError(Exception):
    """An error with an HTTP status and a message safe to show a client."""

    status = 400

    def __init__(
        self,
        message: str,
        *,
        details: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = dict(headers or {})


class BadRequest(AppError):
    status = 400


class Unauthorized(AppError):
    status = 401


class PaymentRequired(AppError):
    status = 402


class Forbidden(AppError):
    status = 403


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


class PayloadTooLarge(AppError):
    status = 413


class UnsupportedMediaType(AppError):
    status = 415


class TooManyRequests(AppError):
    status = 429


class ServiceUnavailable(AppError):
    status = 503
