"""Schemas for analytics: the query strings and error reports taken, the reports given (§18)."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from onepizza.schemas.query import QueryInt

MAX_DAYS = 365

# --- requests ---------------------------------------------------------------------------


class DaysQuerySchema(Schema):
    """?days=N: the window, a whole number of days from 1 to MAX_DAYS."""

    class Meta:
        unknown = EXCLUDE

    days = QueryInt(load_default=30, validate=validate.Range(min=1, max=MAX_DAYS))


class PeakHoursQuerySchema(DaysQuerySchema):
    days = QueryInt(load_default=90, validate=validate.Range(min=1, max=MAX_DAYS))


class ClientErrorSchema(Schema):
    """POST /api/client-errors: what went wrong in a browser, and where; any other field is
    a 400."""

    class Meta:
        unknown = RAISE

    type = fields.String(
        required=True,
        validate=validate.Regexp(r"[a-z_]{1,30}\Z", error="type must be 1 to 30 of a-z and _"),
        metadata={"example": "webrtc"},
    )
    message = fields.String(required=True, validate=validate.Length(min=1, max=500))
    route = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    meetingId = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


# --- responses --------------------------------------------------------------------------


def _nullable(field_cls, **kwargs):
    return field_cls(allow_none=True, required=True, **kwargs)


class ClientErrorAcceptedSchema(Schema):
    accepted = fields.Boolean(required=True)


class FeatureUsageSchema(Schema):
    feature = fields.String(required=True, metadata={"example": "screen_share"})
    total_uses = fields.Integer(required=True)
    unique_users = fields.Integer(required=True)
    active_days = fields.Integer(required=True)


class FeaturesReportSchema(Schema):
    features = fields.List(fields.Nested(FeatureUsageSchema), required=True)
    days = fields.Integer(required=True)


class ErrorGroupSchema(Schema):
    event_type = fields.String(required=True, metadata={"example": "error.webrtc"})
    route = _nullable(fields.String)
    message = _nullable(fields.String)
    count = fields.Integer(required=True)
    last_seen = fields.String(required=True, metadata={"format": "date-time"})


class ErrorsReportSchema(Schema):
    errors = fields.List(fields.Nested(ErrorGroupSchema), required=True)
    days = fields.Integer(required=True)


class LiveMeetingSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    participantCount = fields.Integer(required=True)
    duration = fields.Integer(required=True, metadata={"description": "seconds since start"})
    isRecording = fields.Boolean(required=True)


class RealtimeReportSchema(Schema):
    activeMeetings = fields.Integer(required=True)
    totalParticipants = fields.Integer(required=True)
    activeRecordings = fields.Integer(required=True)
    activeScreenShares = fields.Integer(required=True)
    meetingList = fields.List(fields.Nested(LiveMeetingSchema), required=True)


class RetentionWeekSchema(Schema):
    week = fields.String(required=True, metadata={"format": "date"})
    users = fields.Integer(required=True)
    retained = fields.Integer(required=True)


class RetentionReportSchema(Schema):
    retention = fields.List(fields.Nested(RetentionWeekSchema), required=True)


class ServerHealthReportSchema(Schema):
    uptimeSeconds = fields.Integer(required=True)
    memoryMB = fields.Float(required=True)
    heapUsedMB = fields.Float(required=True)
    heapTotalMB = fields.Float(required=True)
    dbPoolTotal = fields.Integer(required=True)
    dbPoolIdle = fields.Integer(required=True)
    dbPoolWaiting = fields.Integer(required=True)
    activeMeetings = fields.Integer(required=True)
    scheduledMeetings = fields.Integer(required=True)


class PeakHourSchema(Schema):
    dow = fields.Integer(required=True, metadata={"description": "0 = Sunday, UTC"})
    hour = fields.Integer(required=True, metadata={"description": "0-23, UTC"})
    count = fields.Integer(required=True)


class PeakHoursReportSchema(Schema):
    peakHours = fields.List(fields.Nested(PeakHourSchema), required=True)
    days = fields.Integer(required=True)


class MeetingCountsSchema(Schema):
    active = fields.Integer(required=True)
    scheduled = fields.Integer(required=True)
    ended = fields.Integer(required=True)


class OverviewReportSchema(Schema):
    users = fields.Integer(required=True)
    companies = fields.Integer(required=True)
    meetings = fields.Nested(MeetingCountsSchema, required=True)
    revenue = fields.String(required=True, metadata={"example": "125.0000"})
    charges = fields.String(required=True, metadata={"example": "12.3400"})


class AdminUserSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    accountType = fields.String(required=True)
    balance = fields.String(required=True, metadata={"example": "25.0000"})
    company_id = _nullable(fields.Integer)
    is_admin = fields.Boolean(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    meetings = fields.Integer(required=True)


class AdminUserPageSchema(Schema):
    users = fields.List(fields.Nested(AdminUserSchema), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


class TrendDaySchema(Schema):
    date = fields.String(required=True, metadata={"format": "date"})
    meetings = fields.Integer(required=True)
    participants = fields.Integer(required=True)
    revenue = fields.String(required=True, metadata={"example": "25.0000"})


class TrendsReportSchema(Schema):
    trends = fields.List(fields.Nested(TrendDaySchema), required=True)
    days = fields.Integer(required=True)
