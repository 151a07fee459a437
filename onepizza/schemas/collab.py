"""Polls, Q&A, shared notes and attendance: request schemas (REST bodies and Socket.IO
payloads alike) and response shapes."""

from __future__ import annotations

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from onepizza.schemas.responses import _nullable

MAX_ID = 2**63 - 1
MAX_NOTES = 50_000
POLL_KINDS = ("multiple", "yesno", "rating")
FIXED_OPTIONS = {"yesno": ["Yes", "No"], "rating": ["1", "2", "3", "4", "5"]}


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters")


class WholeNumber(fields.Integer):
    """A JSON integer (not a boolean, a float or a string of digits)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Must be a whole number")
        return super()._deserialize(value, attr, data, **kwargs)


class Text(fields.String):
    """Text without NUL characters, trimmed, of `min`-`max` characters after trimming."""

    def __init__(self, *, min: int, max: int, trim: bool = True, **kwargs):
        self.trim, self.min, self.max = trim, min, max
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        _no_nul(value)
        if self.trim:
            value = value.strip()
        if len(value) < self.min:
            raise ValidationError("Must not be empty" if self.min == 1 else "Too short")
        if len(value) > self.max:
            raise ValidationError(f"At most {self.max} characters")
        return value


class Options(fields.List):
    """A poll's options: strings of 1-100 characters; an error names the option by number."""

    def __init__(self, **kwargs):
        super().__init__(Text(min=1, max=100), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as err:
            messages = err.normalized_messages()
            if isinstance(messages, dict) and messages:
                index, problems = next(iter(messages.items()))
                raise ValidationError(f"Option {int(index) + 1}: {problems[0]}") from None
            raise


def _id(**kwargs):
    return WholeNumber(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class _Body(Schema):
    class Meta:
        unknown = EXCLUDE


class CreatePollSchema(_Body):
    question = Text(min=1, max=300, required=True)
    kind = fields.String(load_default="multiple", validate=validate.OneOf(POLL_KINDS))
    options = Options(load_default=None)
    anonymous = fields.Boolean(load_default=False, truthy={True}, falsy={False})

    @validates_schema
    def options_fit_kind(self, data, **_kwargs):
        kind, options = data.get("kind"), data.get("options")
        if kind == "multiple":
            if options is None or not 2 <= len(options) <= 10:
                raise ValidationError("A multiple-choice poll has 2 to 10 options", "options")
            if len({option.casefold() for option in options}) != len(options):
                raise ValidationError("Options must differ from each other", "options")
        elif options is not None and options != FIXED_OPTIONS.get(kind):
            raise ValidationError(f"A {kind} poll's options are fixed; leave them out", "options")

    @post_load
    def fixed_options(self, data, **_kwargs):
        data["options"] = FIXED_OPTIONS.get(data["kind"], data["options"])
        return data


class PollRefSchema(_Body):
    pollId = _id(required=True)


class VoteSchema(PollRefSchema):
    choice = WholeNumber(required=True, validate=validate.Range(min=0, max=9))


class AskSchema(_Body):
    text = Text(min=1, max=500, required=True)


class QuestionRefSchema(_Body):
    questionId = _id(required=True)


class UpdateNotesSchema(_Body):
    """PUT /notes: `baseVersion` left out writes whatever the version."""

    text = Text(min=0, max=MAX_NOTES, trim=False, required=True)
    baseVersion = WholeNumber(load_default=None, validate=validate.Range(min=0, max=2**31 - 1))


class NotesUpdateEventSchema(UpdateNotesSchema):
    """`notes:update`: an edit always says which version it was made on."""

    baseVersion = WholeNumber(required=True, validate=validate.Range(min=0, max=2**31 - 1))


class QuestionsQuerySchema(_Body):
    include = fields.String(load_default=None, validate=validate.OneOf(["dismissed"]))


class AttendanceQuerySchema(_Body):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


# --- responses --------------------------------------------------------------------------


class PollVoteSchema(Schema):
    name = fields.String(required=True)
    choice = fields.Integer(required=True)


class PollSchema(Schema):
    id = fields.Integer(required=True)
    question = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(POLL_KINDS))
    options = fields.List(fields.String(), required=True)
    anonymous = fields.Boolean(required=True)
    results = fields.List(fields.Integer(), required=True)
    totalVotes = fields.Integer(required=True)
    closed = fields.Boolean(required=True)
    createdAt = fields.String(required=True, metadata={"format": "date-time"})
    closedAt = _nullable(fields.String, required=True, metadata={"format": "date-time"})
    votes = fields.List(
        fields.Nested(PollVoteSchema), metadata={"description": "Non-anonymous polls only"}
    )


class PollEnvelopeSchema(Schema):
    poll = fields.Nested(PollSchema, required=True)


class PollListSchema(Schema):
    polls = fields.List(fields.Nested(PollSchema), required=True)


class QuestionSchema(Schema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)
    name = fields.String(required=True)
    participantId = fields.String(required=True)
    upvotes = fields.Integer(required=True)
    answered = fields.Boolean(required=True)
    dismissed = fields.Boolean(required=True)
    createdAt = fields.String(required=True, metadata={"format": "date-time"})


class QuestionListSchema(Schema):
    questions = fields.List(fields.Nested(QuestionSchema), required=True)


class NotesSchema(Schema):
    text = fields.String(required=True)
    version = fields.Integer(required=True)
    updatedBy = _nullable(fields.String, required=True)
    updatedAt = _nullable(fields.String, required=True, metadata={"format": "date-time"})


class NotesConflictSchema(NotesSchema):
    error = fields.String(required=True)


class AttendeeSchema(Schema):
    participantId = fields.String(required=True)
    name = fields.String(required=True)
    isAdmin = fields.Boolean(required=True)
    joinedAt = fields.String(required=True, metadata={"format": "date-time"})
    leftAt = _nullable(fields.String, required=True, metadata={"format": "date-time"})
    durationSeconds = fields.Integer(required=True)


class AttendanceSchema(Schema):
    meetingId = fields.String(required=True)
    title = fields.String(required=True)
    startedAt = _nullable(fields.String, required=True, metadata={"format": "date-time"})
    endedAt = _nullable(fields.String, required=True, metadata={"format": "date-time"})
    peakParticipants = fields.Integer(required=True)
    attendees = fields.List(fields.Nested(AttendeeSchema), required=True)
