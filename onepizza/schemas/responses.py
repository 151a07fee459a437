"""Response shapes, for the OpenAPI document (and so for clients and schemathesis)."""

from __future__ import annotations

from marshmallow import Schema, fields


def _nullable(field_cls, **kwargs):
    return field_cls(allow_none=True, **kwargs)


class ErrorSchema(Schema):
    error = fields.String(required=True)
    details = fields.Dict()


class MessageSchema(Schema):
    message = fields.String(required=True)


class ProfileSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    accountType = fields.String(required=True)
    balance = fields.String(required=True, metadata={"example": "25.0000"})
    company_id = _nullable(fields.Integer, required=True)
    is_admin = fields.Boolean(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class LoginSchema(ProfileSchema):
    message = fields.String(required=True)


class RegisteredSchema(Schema):
    message = fields.String(required=True)
    email = fields.String(required=True)
    apiKey = fields.String(required=True)
    accountType = fields.String(required=True)
    inviteCode = fields.String()


class ValidTokenSchema(Schema):
    valid = fields.Boolean(required=True)


class ApiKeySchema(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    label = _nullable(fields.String, required=True)
    is_active = fields.Boolean(required=True)
    created_at = fields.String(required=True)
    last_used_at = _nullable(fields.String, required=True)


class ApiKeyListSchema(Schema):
    keys = fields.List(fields.Nested(ApiKeySchema), required=True)


class JoinedCompanySchema(Schema):
    message = fields.String(required=True)
    companyId = fields.Integer(required=True)
    companyName = fields.String(required=True)


class MemberSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    joined_at = _nullable(fields.String, required=True)


class MemberListSchema(Schema):
    members = fields.List(fields.Nested(MemberSchema), required=True)


class MeetingSettingsSchema(Schema):
    muteOnJoin = fields.Boolean(required=True)
    videoOffOnJoin = fields.Boolean(required=True)
    maxParticipants = fields.Integer(required=True)
    locked = fields.Boolean(required=True)
    waitingRoom = fields.Boolean(required=True)


class MeetingCreatedSchema(Schema):
    meetingId = fields.String(required=True, metadata={"example": "abc-defg-hij"})
    adminToken = fields.String(required=True)
    joinUrl = fields.String(required=True)
    title = fields.String(required=True)
    scheduledAt = fields.String()
    status = fields.String(required=True)
    settings = fields.Nested(MeetingSettingsSchema, required=True)


class GuestMeetingSchema(Schema):
    meetingId = fields.String(required=True)
    adminToken = fields.String(required=True)
    joinUrl = fields.String(required=True)
    title = fields.String(required=True)


class MeetingSummarySchema(Schema):
    meetingId = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    scheduledAt = fields.String()
    participantCount = fields.Integer(required=True)
    createdAt = fields.Integer(required=True)


class MeetingListSchema(Schema):
    meetings = fields.List(fields.Nested(MeetingSummarySchema), required=True)


class ScheduledMeetingSchema(Schema):
    meetingId = fields.String(required=True)
    title = fields.String(required=True)
    scheduledAt = fields.String(required=True)
    status = fields.String(required=True)
    createdAt = fields.Integer(required=True)


class ScheduledListSchema(Schema):
    meetings = fields.List(fields.Nested(ScheduledMeetingSchema), required=True)


class ParticipantSchema(Schema):
    participantId = fields.String(required=True)
    name = fields.String(required=True)
    isMuted = fields.Boolean(required=True)
    isVideoOff = fields.Boolean(required=True)
    isScreenSharing = fields.Boolean(required=True)
    joinedAt = fields.Integer(required=True)


class MeetingDetailSchema(Schema):
    meetingId = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    scheduledAt = fields.String()
    createdAt = fields.Integer(required=True)
    participantCount = fields.Integer(required=True)
    participants = fields.List(fields.Nested(ParticipantSchema), required=True)
    settings = fields.Nested(MeetingSettingsSchema, required=True)


class MeetingEndedSchema(Schema):
    message = fields.String(required=True)
    meetingId = fields.String(required=True)


class SettingsUpdatedSchema(Schema):
    meetingId = fields.String(required=True)
    settings = fields.Nested(MeetingSettingsSchema, required=True)


class LockSchema(Schema):
    meetingId = fields.String(required=True)
    locked = fields.Boolean(required=True)


class InviteCreatedSchema(Schema):
    joinUrl = fields.String(required=True)
    inviteToken = fields.String(required=True)


class ParticipantActionSchema(Schema):
    message = fields.String(required=True)
    participantId = fields.String(required=True)


class MuteAllSchema(Schema):
    message = fields.String(required=True)
    count = fields.Integer(required=True)


class TranscriptMessageSchema(Schema):
    participant_name = fields.String(required=True)
    text = fields.String(required=True)
    created_at = fields.String(required=True)
    room = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The breakout room's name it was sent in; null: the main room"},
    )


class TranscriptSchema(Schema):
    messages = fields.List(fields.Nested(TranscriptMessageSchema), required=True)


class HistoryItemSchema(Schema):
    id = fields.Integer(required=True)
    meeting_id = fields.String(required=True)
    title = fields.String(required=True)
    started_at = _nullable(fields.String, required=True)
    ended_at = _nullable(fields.String, required=True)
    duration_minutes = fields.String(required=True, metadata={"example": "30.00"})
    peak_participants = fields.Integer(required=True)
    cost_usd = fields.String(required=True, metadata={"example": "0.0120"})


class HistorySchema(Schema):
    meetings = fields.List(fields.Nested(HistoryItemSchema), required=True)


class IceServerSchema(Schema):
    urls = fields.Raw(required=True, metadata={"description": "a URL or a list of URLs"})
    username = fields.String()
    credential = fields.String()


class IceServersSchema(Schema):
    iceServers = fields.List(fields.Nested(IceServerSchema), required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    db = fields.String()


class RecordingSchema(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    created_at = fields.String(required=True)


class RecordingListSchema(Schema):
    recordings = fields.List(fields.Nested(RecordingSchema), required=True)


class TransactionSchema(Schema):
    id = fields.Integer(required=True)
    amount_usd = fields.String(required=True)
    type = fields.String(required=True)
    description = fields.String(required=True)
    created_at = fields.String(required=True)


class BillingHistorySchema(Schema):
    balance = fields.String(required=True)
    transactions = fields.List(fields.Nested(TransactionSchema), required=True)


class CheckoutSchema(Schema):
    url = fields.String(required=True)


class UsdcAddressSchema(Schema):
    address = fields.String(
        required=True,
        metadata={
            "pattern": "^0x[0-9a-fA-F]{40}$",
            "example": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        },
    )


class WebhookReceivedSchema(Schema):
    received = fields.Boolean(required=True)
    result = fields.String(required=True)


class PlatformSettingsSchema(Schema):
    rate_per_participant_minute = fields.String(required=True)
    low_balance_threshold = fields.String(required=True)
    welcome_credit_usd = fields.String(required=True)


class LedgerRowSchema(Schema):
    id = fields.Integer(required=True)
    user_id = _nullable(fields.Integer)
    company_id = _nullable(fields.Integer)
    email = _nullable(fields.String)
    amount_usd = fields.String(required=True)
    type = fields.String(required=True)
    description = fields.String(required=True)
    meeting_id = _nullable(fields.String)
    created_at = fields.String(required=True)


class LedgerPageSchema(Schema):
    transactions = fields.List(fields.Nested(LedgerRowSchema), required=True)
    limit = fields.Integer()
    offset = fields.Integer()


class CreditedSchema(Schema):
    userId = fields.Integer(required=True)
    email = fields.String(required=True)
    companyId = _nullable(fields.Integer, required=True)
    balance = fields.String(required=True)
