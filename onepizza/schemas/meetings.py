"""Request schemas for meetings: create, guest, settings and invites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

MAX_PARTICIPANTS = validate.Range(min=1, max=100)
MAX_UTC_OFFSET = timedelta(hours=14)  # the widest real offset; PostgreSQL refuses wilder ones


class _Body(Schema):
    class Meta:
        unknown = EXCLUDE


def _title(default: str):
    return fields.String(load_default=default, validate=validate.Length(max=200))


class CreateMeetingSchema(_Body):
    # Settings not given are absent (not defaulted here), so that a template's can apply:
    # the service fills in the defaults the document shows.
    title = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"default": "Untitled Meeting"},
    )
    scheduledAt = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    muteOnJoin = fields.Boolean(metadata={"default": False})
    videoOffOnJoin = fields.Boolean(metadata={"default": False})
    maxParticipants = fields.Integer(
        strict=True, validate=MAX_PARTICIPANTS, metadata={"default": 50}
    )
    waitingRoom = fields.Boolean(metadata={"default": False})
    templateId = fields.Integer(
        load_default=None,
        strict=True,
        validate=validate.Range(min=1, max=2**63 - 1),
        metadata={"description": "A template of yours: its title and settings, unless given"},
    )

    @validates("scheduledAt")
    def in_the_future(self, value, **_kwargs):
        if value is None:
            return
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError("scheduledAt has an impossible time zone offset")
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            raise ValidationError("scheduledAt is out of range") from None
        if value <= datetime.now(UTC):
            raise ValidationError("scheduledAt must be in the future")

    @post_load
    def tidy(self, data, **_kwargs):
        # None: the template's title, or the default
        data["title"] = (data["title"] or "").strip() or None
        if data["scheduledAt"] is not None:
            data["scheduledAt"] = data["scheduledAt"].astimezone(UTC)
        return data


class GuestMeetingSchema(_Body):
    title = _title("Quick Meeting")

    @post_load
    def tidy(self, data, **_kwargs):
        data["title"] = data["title"].strip() or "Quick Meeting"
        return data


class SettingsSchema(_Body):
    title = fields.String(validate=validate.Length(min=1, max=200))
    muteOnJoin = fields.Boolean()
    videoOffOnJoin = fields.Boolean()
    maxParticipants = fields.Integer(strict=True, validate=MAX_PARTICIPANTS)
    locked = fields.Boolean()
    waitingRoom = fields.Boolean()

    @validates_schema
    def not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("Nothing to change: send at least one setting")


class InviteSchema(_Body):
    name = fields.String(load_default=None, validate=validate.Length(max=100))


class KickSchema(_Body):
    reason = fields.String(load_default=None, validate=validate.Length(max=500))
