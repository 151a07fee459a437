"""Webhook schemas: registering an endpoint, paging its deliveries, and the response shapes
(for the OpenAPI document)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from onepizza.services.webhooks import EVENTS

MAX_URL_LENGTH = 2048
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class EventNames(fields.Field):
    """A non-empty list of known event names, duplicates dropped, order kept."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list) or not value:
            raise ValidationError("events must be a non-empty array of event names")
        names: dict[str, None] = {}
        for name in value:
            if not isinstance(name, str) or name not in EVENTS:
                shown = name if isinstance(name, str) else type(name).__name__
                raise ValidationError(f"Unknown event {str(shown)[:60]!r}: use {', '.join(EVENTS)}")
            names[name] = None
        return list(names)


class CreateWebhookSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    url = fields.String(required=True, validate=validate.Length(min=1, max=MAX_URL_LENGTH))
    events = EventNames(
        required=True,
        metadata={"type": "array", "items": {"type": "string", "enum": list(EVENTS)}},
    )


class WebhookSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)), required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        required=True,
        metadata={"description": "Signs every delivery; shown only in this response"},
    )


class WebhookListSchema(Schema):
    webhooks = fields.List(fields.Nested(WebhookSchema), required=True)


def _nullable(field_cls, **kwargs):
    return field_cls(allow_none=True, required=True, **kwargs)


class WebhookDeliverySchema(Schema):
    id = fields.String(required=True, metadata={"format": "uuid"})
    event = fields.String(required=True, validate=validate.OneOf(EVENTS))
    status = fields.String(required=True, validate=validate.OneOf(DELIVERY_STATUSES))
    attempts = fields.Integer(required=True)
    last_response_code = _nullable(fields.Integer)
    last_error = _nullable(fields.String)
    next_retry_at = _nullable(fields.String, metadata={"format": "date-time"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    delivered_at = _nullable(fields.String, metadata={"format": "date-time"})


class WebhookDeliveryListSchema(Schema):
    deliveries = fields.List(fields.Nested(WebhookDeliverySchema), required=True)
