"""Templates and recurring meetings (collaboration.md): request schemas and response shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from marshmallow import RAISE, ValidationError, fields, post_load, validate, validates

from onepizza.schemas.meetings import MAX_PARTICIPANTS, MAX_UTC_OFFSET, _Body
from onepizza.schemas.responses import MeetingSettingsSchema, _nullable

MAX_ID = 2**63 - 1
DEFAULT_DURATION = 60


def whole_number(**kwargs):
    """A JSON integer: not a boolean, a float or a string of digits."""
    return fields.Integer(strict=True, **kwargs)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be empty")


def text(*, required: bool = False, max: int, **kwargs):
    """A string of at most `max` characters (trimmed by the schema's post_load); a
    required one must not be blank."""
    checks = [validate.Length(max=max), *([_not_blank] if required else [])]
    return fields.String(required=required, validate=checks, **kwargs)


def json_boolean():
    """true or false, not "yes" or 1."""
    return fields.Boolean(truthy={True}, falsy={False})


class TemplateSettingsSchema(_Body):
    """Any of a meeting's settings; another key is an error (a typo would be lost)."""

    class Meta:
        unknown = RAISE

    muteOnJoin = json_boolean()
    videoOffOnJoin = json_boolean()
    maxParticipants = fields.Integer(strict=True, validate=MAX_PARTICIPANTS)
    locked = json_boolean()
    waitingRoom = json_boolean()


def template_id_field():
    return whole_number(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "A template of yours: its title and settings, unless given"},
    )


class CreateTemplateSchema(_Body):
    name = text(required=True, max=100)
    title = text(load_default=None, allow_none=True, max=200)
    settings = fields.Nested(TemplateSettingsSchema, required=True)

    @post_load
    def tidy(self, data, **_kwargs):
        data["name"] = data["name"].strip()
        data["title"] = (data["title"] or "").strip() or None  # blank: no title of its own
        return data


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ValidationError when there is none of that name."""
    if name not in _zones():
        raise ValidationError(
            f"Unknown time zone {name[:64]!r}: use an IANA name such as 'Europe/Berlin' or 'UTC'"
        )
    return ZoneInfo(name)


class CreateRecurringSchema(_Body):
    title = text(load_default=None, allow_none=True, max=200)
    rrule = text(
        required=True,
        max=500,
        metadata={"description": "An RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"},
    )
    startAt = fields.DateTime(
        required=True,
        metadata={
            "description": "The first occurrence (future). Without an offset: a wall-clock "
            "time in `timezone`"
        },
    )
    timezone = fields.String(load_default="UTC", validate=validate.Length(min=1, max=64))
    durationMinutes = whole_number(
        load_default=DEFAULT_DURATION, validate=validate.Range(min=1, max=1440)
    )
    templateId = template_id_field()
    settings = fields.Nested(TemplateSettingsSchema, load_default=dict)

    @validates("timezone")
    def known_zone(self, value, **_kwargs):
        zone(value)

    @post_load
    def resolve(self, data, **_kwargs):
        """startAt as an aware time in `timezone`, in the future."""
        tz = zone(data["timezone"])
        start = data["startAt"]
        if start.tzinfo is None:
            start = start.replace(tzinfo=tz)
        else:
            offset = start.utcoffset()
            if offset is not None and abs(offset) > MAX_UTC_OFFSET:
                raise ValidationError("startAt has an impossible time zone offset", "startAt")
        try:
            start = start.astimezone(tz)
            in_future = start.astimezone(UTC) > datetime.now(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("startAt is out of range", "startAt") from None
        if not in_future:
            raise ValidationError("startAt must be in the future", "startAt")
        data["startAt"] = start.replace(microsecond=0)
        data["title"] = (data["title"] or "").strip() or None
        data["rrule"] = data["rrule"].strip()
        return data


# --- responses ------------------------------------------------------------------------------


class TemplateSchema(_Body):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    title = _nullable(fields.String, required=True)
    settings = fields.Dict(
        required=True, metadata={"description": "Only the settings the template sets"}
    )
    createdAt = fields.String(required=True, metadata={"format": "date-time"})


class TemplateListSchema(_Body):
    templates = fields.List(fields.Nested(TemplateSchema), required=True)


class RecurringMeetingSchema(_Body):
    meetingId = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["scheduled", "active", "ended", "cancelled"])
    )
    occurrenceAt = fields.String(required=True, metadata={"format": "date-time"})
    scheduledAt = fields.String(required=True, metadata={"format": "date-time"})
    joinUrl = fields.String(required=True)
    adminToken = fields.String(
        metadata={"description": "The meeting's host token (scheduled and active meetings)"}
    )


class RecurringSchema(_Body):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    rrule = fields.String(required=True)
    startAt = fields.String(required=True, metadata={"format": "date-time"})
    timezone = fields.String(required=True)
    durationMinutes = fields.Integer(required=True)
    templateId = _nullable(fields.Integer, required=True)
    settings = fields.Nested(MeetingSettingsSchema, required=True)
    nextOccurrences = fields.List(
        fields.String(metadata={"format": "date-time"}),
        required=True,
        metadata={"description": "The next 5 occurrences (fewer when the rule ends)"},
    )
    createdAt = fields.String(required=True, metadata={"format": "date-time"})


class RecurringDetailSchema(RecurringSchema):
    meetings = fields.List(fields.Nested(RecurringMeetingSchema), required=True)


class RecurringListSchema(_Body):
    recurring = fields.List(fields.Nested(RecurringSchema), required=True)


class RecurringDeletedSchema(_Body):
    message = fields.String(required=True)
    id = fields.Integer(required=True)
    cancelled = fields.List(
        fields.String(), required=True, metadata={"description": "Meetings cancelled"}
    )
