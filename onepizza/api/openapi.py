"""The OpenAPI 3.1 document, built from the routes and the marshmallow schemas, and the
interactive reference at /docs (Swagger UI from the swagger-ui-bundle package)."""

from __future__ import annotations

import re
from decimal import Decimal

import swagger_ui_bundle
import yaml
from aiohttp import web
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from onepizza import __version__
from onepizza.api.request import json_response
from onepizza.schemas import accounts as acc
from onepizza.schemas import analytics as stats
from onepizza.schemas import billing as bill
from onepizza.schemas import collab
from onepizza.schemas import meetings as meet
from onepizza.schemas import responses as r
from onepizza.schemas import templates as tpl
from onepizza.schemas import webhooks as hook

SWAGGER_DIR = swagger_ui_bundle.swagger_ui_path
DOCUMENTED_PREFIXES = ("/api/", "/admin/api/", "/health")

KEY, ADMIN, SESSION = "apiKey", "adminToken", "session"
JSON = "application/json"


def op(
    summary: str,
    tag: str,
    *,
    auth=(),
    body=None,
    ok=(200, r.MessageSchema),
    errors=(),
    query=(),
    content=JSON,
    description: str | None = None,
) -> dict:
    """One operation: who may call it, what it takes, what it answers."""
    status, schema = ok
    responses = {str(status): _content(schema, content, "Success")}
    for code in sorted({*errors, 429} if tag != "Health" else set(errors)):
        responses[str(code)] = _content(r.ErrorSchema, JSON, ERROR_TEXT.get(code, "Error"))
    operation = {"summary": summary, "tags": [tag], "responses": responses}
    if description:
        operation["description"] = description
    if auth:  # a tuple: the schemes needed together; a list of tuples: alternatives
        options = auth if isinstance(auth, list) else [auth]
        operation["security"] = [{name: [] for name in names} for names in options]
    if body is not None:
        operation["requestBody"] = (
            body
            if isinstance(body, dict)
            else {"required": True, "content": {JSON: {"schema": body}}}
        )
    if query:
        operation["parameters"] = [
            {"in": "query", "name": name, "required": req, "schema": {"type": kind}}
            for name, kind, req in query
        ]
    return operation


ERROR_TEXT = {
    400: "Invalid input",
    401: "Missing or invalid x-api-key, or not logged in",
    402: "Insufficient credits",
    403: "Missing or invalid x-admin-token, cross-site request, or not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    429: "Rate limit exceeded",
    502: "Payment provider error",
    503: "Unavailable",
    507: "Not enough disk space for it now",
}


def _content(schema, content_type: str, description: str) -> dict:
    return {"description": description, "content": {content_type: {"schema": schema}}}


UPLOAD = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"recording": {"type": "string", "format": "binary"}},
                "required": ["recording"],
            }
        }
    },
}
TEXT = {"type": "string"}
BINARY = {"type": "string", "format": "binary"}
PAGE = (("limit", "integer", False), ("offset", "integer", False))
HOST = (KEY, ADMIN)
# Our extension to the spec (which names only x-api-key): the meeting owner routes take the
# session cookie too, so the dashboard needs no API key in the browser.
KEY_OR_SESSION = [(KEY,), (SESSION,)]
HOST_OR_SESSION = [HOST, (SESSION, ADMIN)]
SESSION_NOTE = (
    "Takes an x-api-key (the spec) or the session cookie (the dashboard); a write on the "
    "cookie must be JSON (Content-Type: application/json) from this site."
)
SESSION_OR_KEY = [{SESSION: []}, {KEY: []}]  # either one (a list of alternatives)

# Per-meeting collaboration paths: the owner's key (or the session), or the host token alone.
COLLAB_AUTH = [(KEY,), (SESSION,), (ADMIN,)]
COLLAB_NOTE = (
    "Takes the meeting owner's (or their company's) x-api-key or session, or the meeting's "
    "x-admin-token alone; readable after the meeting ends."
)

OPERATIONS: dict[str, dict] = {
    # §1 accounts
    "auth-register": op(
        "Create an account",
        "Accounts",
        body=acc.RegisterSchema,
        ok=(201, r.RegisteredSchema),
        errors=(400, 403, 409),
    ),
    "auth-login": op(
        "Log in (sets the session cookie)",
        "Accounts",
        body=acc.LoginSchema,
        ok=(200, r.LoginSchema),
        errors=(400, 401, 403),
    ),
    "auth-logout": op("Log out", "Accounts", errors=(403,)),
    "auth-me": op(
        "The current user",
        "Accounts",
        auth=(SESSION,),
        ok=(200, r.ProfileSchema),
        errors=(401,),
        description="A session, or an x-api-key for bots.",
    ),
    "auth-forgot": op(
        "Email a password reset link", "Accounts", body=acc.ForgotPasswordSchema, errors=(400,)
    ),
    "auth-reset-check": op(
        "Is a reset token valid?",
        "Accounts",
        ok=(200, r.ValidTokenSchema),
        errors=(400,),
        query=(("token", "string", True),),
    ),
    "auth-reset": op(
        "Set a new password with a reset token",
        "Accounts",
        body=acc.ResetPasswordSchema,
        errors=(400,),
    ),
    "auth-change": op(
        "Change the password",
        "Accounts",
        auth=(SESSION,),
        body=acc.ChangePasswordSchema,
        errors=(400, 401, 403),
    ),
    # §2 keys
    "keys-list": op(
        "List API keys (masked)",
        "API keys",
        auth=(SESSION,),
        ok=(200, r.ApiKeyListSchema),
        errors=(401,),
    ),
    "keys-create": op(
        "Create an API key (shown once)",
        "API keys",
        auth=(SESSION,),
        body={"content": {JSON: {"schema": acc.CreateKeySchema}}},
        ok=(201, r.ApiKeySchema),
        errors=(400, 401, 403),
    ),
    "keys-revoke": op("Revoke an API key", "API keys", auth=(SESSION,), errors=(401, 403, 404)),
    # §14 companies
    "company-join": op(
        "Join a company with an invite code",
        "Companies",
        auth=(SESSION,),
        body=acc.JoinCompanySchema,
        ok=(200, r.JoinedCompanySchema),
        errors=(400, 401, 403, 404, 409),
    ),
    "company-members": op(
        "List company members (owner)",
        "Companies",
        auth=(SESSION,),
        ok=(200, r.MemberListSchema),
        errors=(401, 403),
    ),
    "company-member-remove": op(
        "Remove a member (owner)", "Companies", auth=(SESSION,), errors=(400, 401, 403, 404)
    ),
    # §21 health
    "health": op("Full health check", "Health", ok=(200, r.HealthSchema), errors=(503,)),
    "health-liveness": op("Liveness probe", "Health", ok=(200, r.HealthSchema)),
    "health-readiness": op("Readiness probe", "Health", ok=(200, r.HealthSchema), errors=(503,)),
    # §3-§8 meetings
    "meetings-create": op(
        "Create a meeting",
        "Meetings",
        auth=KEY_OR_SESSION,
        body={"content": {JSON: {"schema": meet.CreateMeetingSchema}}},
        ok=(201, r.MeetingCreatedSchema),
        errors=(400, 401, 402, 403),
        description=SESSION_NOTE,
    ),
    "meetings-guest": op(
        "Create a guest meeting (no auth)",
        "Meetings",
        body={"content": {JSON: {"schema": meet.GuestMeetingSchema}}},
        ok=(201, r.GuestMeetingSchema),
        errors=(400,),
    ),
    "meetings-list": op(
        "Active and scheduled meetings",
        "Meetings",
        auth=KEY_OR_SESSION,
        ok=(200, r.MeetingListSchema),
        errors=(401,),
        description=SESSION_NOTE,
    ),
    "meetings-scheduled": op(
        "Scheduled meetings",
        "Meetings",
        auth=KEY_OR_SESSION,
        ok=(200, r.ScheduledListSchema),
        errors=(401,),
        description=SESSION_NOTE,
    ),
    "meetings-history": op(
        "Ended meetings with cost",
        "Meetings",
        auth=KEY_OR_SESSION,
        ok=(200, r.HistorySchema),
        errors=(400, 401),
        query=PAGE,
        description=SESSION_NOTE,
    ),
    "meeting-get": op(
        "A meeting with its participants",
        "Meetings",
        auth=KEY_OR_SESSION,
        ok=(200, r.MeetingDetailSchema),
        errors=(401, 404),
        description=SESSION_NOTE,
    ),
    "meeting-delete": op(
        "End or cancel a meeting",
        "Meetings",
        auth=HOST_OR_SESSION,
        ok=(200, r.MeetingEndedSchema),
        errors=(401, 403, 404),
        description=f"A guest meeting needs only its x-admin-token. {SESSION_NOTE}",
    ),
    "meeting-settings": op(
        "Update settings live",
        "Meeting controls",
        auth=HOST_OR_SESSION,
        body=meet.SettingsSchema,
        ok=(200, r.SettingsUpdatedSchema),
        errors=(400, 401, 403, 404),
        description=SESSION_NOTE,
    ),
    "meeting-lock": op(
        "Lock the meeting",
        "Meeting controls",
        auth=HOST_OR_SESSION,
        ok=(200, r.LockSchema),
        errors=(401, 403, 404),
        description=SESSION_NOTE,
    ),
    "meeting-unlock": op(
        "Unlock the meeting",
        "Meeting controls",
        auth=HOST_OR_SESSION,
        ok=(200, r.LockSchema),
        errors=(401, 403, 404),
        description=SESSION_NOTE,
    ),
    "meeting-invite": op(
        "A one-use invite link",
        "Meeting controls",
        auth=HOST_OR_SESSION,
        body={"content": {JSON: {"schema": meet.InviteSchema}}},
        ok=(200, r.InviteCreatedSchema),
        errors=(400, 401, 403, 404),
        description=SESSION_NOTE,
    ),
    "meeting-mute-all": op(
        "Mute everyone",
        "Meeting controls",
        auth=HOST_OR_SESSION,
        ok=(200, r.MuteAllSchema),
        errors=(401, 403, 404),
        description=SESSION_NOTE,
    ),
    "participant-mute": op(
        "Force-mute a participant",
        "Meeting controls",
        auth=HOST_OR_SESSION,
        ok=(200, r.ParticipantActionSchema),
        errors=(401, 403, 404),
        description=SESSION_NOTE,
    ),
    "participant-unmute": op(
        "Ask a participant to unmute",
        "Meeting controls",
        auth=HOST_OR_SESSION,
        ok=(200, r.ParticipantActionSchema),
        errors=(401, 403, 404),
        description=SESSION_NOTE,
    ),
    "participant-kick": op(
        "Remove a participant",
        "Meeting controls",
        auth=HOST_OR_SESSION,
        body={"content": {JSON: {"schema": meet.KickSchema}}},
        ok=(200, r.ParticipantActionSchema),
        errors=(400, 401, 403, 404),
        description=SESSION_NOTE,
    ),
    "meeting-transcript": op(
        "Chat transcript",
        "Transcripts",
        auth=KEY_OR_SESSION,
        ok=(200, r.TranscriptSchema),
        errors=(401, 404),
        description=SESSION_NOTE,
    ),
    "meeting-transcript-download": op(
        "Chat transcript as text",
        "Transcripts",
        auth=KEY_OR_SESSION,
        ok=(200, TEXT),
        content="text/plain",
        errors=(401, 404),
        description=SESSION_NOTE,
    ),
    # polls, Q&A, shared notes, attendance (collaboration.md)
    "polls-create": op(
        "Create a poll (announced to the meeting as poll:created)",
        "Collaboration",
        auth=COLLAB_AUTH,
        body=collab.CreatePollSchema,
        ok=(201, collab.PollEnvelopeSchema),
        errors=(400, 401, 403, 404),
        description=COLLAB_NOTE,
    ),
    "polls-list": op(
        "A meeting's polls, in creation order (with votes unless anonymous)",
        "Collaboration",
        auth=COLLAB_AUTH,
        ok=(200, collab.PollListSchema),
        errors=(401, 403, 404),
        description=COLLAB_NOTE,
    ),
    "poll-close": op(
        "Close a poll (poll:closed); closing a closed poll changes nothing",
        "Collaboration",
        auth=COLLAB_AUTH,
        ok=(200, collab.PollEnvelopeSchema),
        errors=(401, 403, 404),
        description=COLLAB_NOTE,
    ),
    "questions-list": op(
        "Q&A questions: most upvoted first, then oldest",
        "Collaboration",
        auth=COLLAB_AUTH,
        ok=(200, collab.QuestionListSchema),
        errors=(400, 401, 403, 404),
        query=(("include", "string", False),),
        description=COLLAB_NOTE + " include=dismissed lists dismissed questions too.",
    ),
    "notes-get": op(
        "The meeting's shared notes (version 0 and empty text before the first write)",
        "Collaboration",
        auth=COLLAB_AUTH,
        ok=(200, collab.NotesSchema),
        errors=(401, 403, 404),
        description=COLLAB_NOTE,
    ),
    "notes-put": op(
        "Replace the shared notes (notes:updated)",
        "Collaboration",
        auth=COLLAB_AUTH,
        body=collab.UpdateNotesSchema,
        ok=(200, collab.NotesSchema),
        errors=(400, 401, 403, 404, 409),
        description=COLLAB_NOTE
        + " A baseVersion that is not the current version is a 409 whose body is the current"
        " pad (text, version, updatedBy, updatedAt) with the error; without baseVersion the"
        " write always applies.",
    ),
    "attendance-get": op(
        "Attendance: one row per stay (JSON, or CSV with format=csv)",
        "Collaboration",
        auth=COLLAB_AUTH,
        ok=(200, collab.AttendanceSchema),
        errors=(400, 401, 403, 404),
        query=(("format", "string", False),),
        description=COLLAB_NOTE + " Guest meetings keep no attendance (404).",
    ),
    # §20 recordings
    "recordings-upload": op(
        "Upload a recording",
        "Recordings",
        auth=KEY_OR_SESSION,
        body=UPLOAD,
        ok=(201, r.RecordingSchema),
        errors=(400, 401, 403, 404, 409, 413, 415, 507),
        description=(
            "413 past RECORDING_MAX_BYTES or the account's RECORDING_QUOTA_BYTES; 409 before"
            " the meeting starts or RECORDING_UPLOAD_WINDOW_SECONDS after it ends; 507 when the"
            " disk has no room for it now."
        ),
    ),
    "recordings-list": op(
        "A meeting's recordings",
        "Recordings",
        auth=KEY_OR_SESSION,
        ok=(200, r.RecordingListSchema),
        errors=(401, 404),
    ),
    "recording-download": op(
        "Download a recording (Range supported)",
        "Recordings",
        auth=KEY_OR_SESSION,
        ok=(200, BINARY),
        content="application/octet-stream",
        errors=(401, 404),
    ),
    "recording-delete": op(
        "Delete a recording",
        "Recordings",
        auth=KEY_OR_SESSION,
        errors=(401, 403, 404),
    ),
    # §9 webhooks (session or x-api-key)
    "webhooks-list": {
        **op(
            "Your webhooks",
            "Webhooks",
            ok=(200, hook.WebhookListSchema),
            errors=(401,),
        ),
        "security": SESSION_OR_KEY,
    },
    "webhooks-create": {
        **op(
            "Register a webhook (https, public address; the secret is shown only here)",
            "Webhooks",
            body=hook.CreateWebhookSchema,
            ok=(201, hook.WebhookCreatedSchema),
            errors=(400, 401, 403, 409),
        ),
        "security": SESSION_OR_KEY,
    },
    "webhook-delete": {
        **op(
            "Delete a webhook (its deliveries too)",
            "Webhooks",
            errors=(401, 403, 404),
        ),
        "security": SESSION_OR_KEY,
    },
    "webhook-deliveries": {
        **op(
            "A webhook's deliveries, newest first",
            "Webhooks",
            ok=(200, hook.WebhookDeliveryListSchema),
            errors=(400, 401, 404),
            query=PAGE,
        ),
        "security": SESSION_OR_KEY,
    },
    "webhook-delivery-retry": {
        **op(
            "Send a delivery again now",
            "Webhooks",
            ok=(202, hook.WebhookDeliverySchema),
            errors=(401, 403, 404),
        ),
        "security": SESSION_OR_KEY,
    },
    # collaboration.md: templates and recurring meetings
    "templates-create": op(
        "Save a meeting template (a title and any of the meeting settings)",
        "Templates",
        auth=KEY_OR_SESSION,
        body=tpl.CreateTemplateSchema,
        ok=(201, tpl.TemplateSchema),
        errors=(400, 401, 403),
        description=SESSION_NOTE,
    ),
    "templates-list": op(
        "Your templates (and your company's)",
        "Templates",
        auth=KEY_OR_SESSION,
        ok=(200, tpl.TemplateListSchema),
        errors=(401,),
    ),
    "template-get": op(
        "One template",
        "Templates",
        auth=KEY_OR_SESSION,
        ok=(200, tpl.TemplateSchema),
        errors=(401, 404),
    ),
    "template-delete": op(
        "Delete a template (what was made from it keeps its settings)",
        "Templates",
        auth=KEY_OR_SESSION,
        errors=(401, 403, 404),
    ),
    "recurring-create": op(
        "Create a recurring meeting (an RFC 5545 rule in an IANA time zone)",
        "Recurring meetings",
        auth=KEY_OR_SESSION,
        body=tpl.CreateRecurringSchema,
        ok=(201, tpl.RecurringSchema),
        errors=(400, 401, 402, 403, 404),
        description=(
            "Each occurrence becomes an ordinary scheduled meeting, made ahead of time (the "
            "next one always, and every one within 14 days, at most 50 waiting), with its own "
            "id, admin token and join URL: GET /api/recurring/{id} lists them. Occurrences keep "
            "their wall-clock time in `timezone` across daylight-saving changes. FREQ=SECONDLY, "
            "MINUTELY and HOURLY and BYSECOND are refused (FREQ=DAILY with BYHOUR gives up to "
            "24 a day). templateId: a template's title and settings, under the "
            "fields given here (404 for a template you cannot see). 402 without credit for the "
            "first meeting. " + SESSION_NOTE
        ),
    ),
    "recurring-list": op(
        "Your recurring meetings (and your company's)",
        "Recurring meetings",
        auth=KEY_OR_SESSION,
        ok=(200, tpl.RecurringListSchema),
        errors=(401,),
    ),
    "recurring-get": op(
        "A recurring meeting with the meetings it made (scheduled and past)",
        "Recurring meetings",
        auth=KEY_OR_SESSION,
        ok=(200, tpl.RecurringDetailSchema),
        errors=(401, 404),
    ),
    "recurring-delete": op(
        "Delete a recurring meeting: its meetings not yet started are cancelled",
        "Recurring meetings",
        auth=KEY_OR_SESSION,
        ok=(200, tpl.RecurringDeletedSchema),
        errors=(401, 403, 404),
    ),
    # §13
    "ice-servers": op("STUN/TURN servers for WebRTC", "Meetings", ok=(200, r.IceServersSchema)),
    # §15 billing
    "billing-history": op(
        "Balance and transactions",
        "Billing",
        auth=(SESSION,),
        ok=(200, r.BillingHistorySchema),
        errors=(400, 401),
        query=PAGE,
    ),
    "billing-stripe-checkout": op(
        "Start a Stripe Checkout top-up",
        "Billing",
        auth=(SESSION,),
        body=bill.CheckoutSchema,
        ok=(200, r.CheckoutSchema),
        errors=(400, 401, 403, 502, 503),
    ),
    "billing-stripe-webhook": op(
        "Stripe webhook receiver (signed)",
        "Billing",
        ok=(200, r.WebhookReceivedSchema),
        errors=(400, 503),
    ),
    "billing-usdc-address": op(
        "Your USDC deposit address",
        "Billing",
        auth=(SESSION,),
        ok=(200, r.UsdcAddressSchema),
        errors=(401, 503),
        description=(
            "The account's own Ethereum address (the company's, for a member), checksummed. "
            "USDC sent to it is credited once it is ETH_CONFIRMATIONS blocks deep; deposits "
            "under $5 are recorded but not credited. 503 when CRYPTO_MNEMONIC is not set."
        ),
    ),
    # admin
    "admin-billing-credit": op(
        "Credit an account",
        "Admin",
        auth=(SESSION,),
        body=acc.AdminCreditSchema,
        ok=(200, r.CreditedSchema),
        errors=(400, 401, 403, 404),
    ),
    "admin-billing-transactions": op(
        "Ledger rows across accounts",
        "Admin",
        auth=(SESSION,),
        ok=(200, r.LedgerPageSchema),
        errors=(400, 401, 403),
        query=(
            *PAGE,
            ("userId", "integer", False),
            ("companyId", "integer", False),
            ("type", "string", False),
        ),
    ),
    "admin-settings": op(
        "Platform settings",
        "Admin",
        auth=(SESSION,),
        ok=(200, r.PlatformSettingsSchema),
        errors=(401, 403),
    ),
    "admin-settings-update": op(
        "Change platform settings",
        "Admin",
        auth=(SESSION,),
        body=bill.PlatformSettingsSchema,
        ok=(200, r.PlatformSettingsSchema),
        errors=(400, 401, 403),
    ),
    # §18 analytics (admin session only) and the browser's error reports
    "client-errors": op(
        "Report a client-side error (no auth)",
        "Analytics",
        body=stats.ClientErrorSchema,
        ok=(202, stats.ClientErrorAcceptedSchema),
        errors=(400,),
        description="Stored as event type error.<type>; counted per IP (RATE_LIMIT_CLIENT_ERRORS).",
    ),
    "admin-analytics-features": op(
        "Feature usage",
        "Analytics",
        auth=(SESSION,),
        ok=(200, stats.FeaturesReportSchema),
        errors=(400, 401, 403),
        query=(("days", "integer", False),),
    ),
    "admin-analytics-errors": op(
        "Client errors grouped by type, route and message",
        "Analytics",
        auth=(SESSION,),
        ok=(200, stats.ErrorsReportSchema),
        errors=(400, 401, 403),
        query=(("days", "integer", False),),
    ),
    "admin-analytics-realtime": op(
        "Live meetings (from memory, no database query)",
        "Analytics",
        auth=(SESSION,),
        ok=(200, stats.RealtimeReportSchema),
        errors=(401, 403),
    ),
    "admin-analytics-retention": op(
        "Week-over-week retention, last 12 weeks",
        "Analytics",
        auth=(SESSION,),
        ok=(200, stats.RetentionReportSchema),
        errors=(401, 403),
    ),
    "admin-analytics-health": op(
        "Process memory, database pool and meeting counts",
        "Analytics",
        auth=(SESSION,),
        ok=(200, stats.ServerHealthReportSchema),
        errors=(401, 403),
    ),
    "admin-analytics-peak-hours": op(
        "Meetings started by day of week and hour (UTC)",
        "Analytics",
        auth=(SESSION,),
        ok=(200, stats.PeakHoursReportSchema),
        errors=(400, 401, 403),
        query=(("days", "integer", False),),
    ),
    "admin-analytics-overview": op(
        "Platform totals",
        "Analytics",
        auth=(SESSION,),
        ok=(200, stats.OverviewReportSchema),
        errors=(401, 403),
    ),
    "admin-analytics-users": op(
        "Accounts with balance and meeting count",
        "Analytics",
        auth=(SESSION,),
        ok=(200, stats.AdminUserPageSchema),
        errors=(400, 401, 403),
        query=PAGE,
    ),
    "admin-analytics-trends": op(
        "Daily meetings, participants and revenue",
        "Analytics",
        auth=(SESSION,),
        ok=(200, stats.TrendsReportSchema),
        errors=(400, 401, 403),
        query=(("days", "integer", False),),
    ),
}

PATH_PARAM = re.compile(r"{(\w+)}")


def schema_name(schema) -> str:
    """Component names: request schemas by their name, response shapes with "Response"."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return f"{name}Response" if cls.__module__ == r.__name__ else name


def standalone_app() -> web.Application:
    """The application's routes without a database, for generating the document."""
    from onepizza.app import create_app
    from onepizza.config import Settings

    return create_app(Settings(database_url="postgresql://unused/unused"))


def documented_routes(app: web.Application):
    """(method, path, route) of every API route: what the document must cover."""
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method in ("HEAD", "*") or not path.startswith(DOCUMENTED_PREFIXES):
            continue
        yield route.method.lower(), path, route


def build_spec(app: web.Application) -> APISpec:
    spec = APISpec(
        title="onepizza API",
        version=__version__,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=schema_name)],
        info={
            "description": "Video meetings for developers, agents and teams: REST API. "
            "Real-time events are Socket.IO (see the README)."
        },
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme(KEY, {"type": "apiKey", "in": "header", "name": "x-api-key"})
    spec.components.security_scheme(
        ADMIN, {"type": "apiKey", "in": "header", "name": "x-admin-token"}
    )
    spec.components.security_scheme(
        SESSION, {"type": "apiKey", "in": "cookie", "name": "onepizza_session"}
    )
    paths: dict[str, dict] = {}
    for method, path, route in documented_routes(app):
        operation = dict(OPERATIONS[route.name])
        operation["operationId"] = route.name
        params = [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
            for name in PATH_PARAM.findall(path)
        ]
        operation["parameters"] = params + operation.get("parameters", [])
        paths.setdefault(path, {})[method] = operation
    for path in sorted(paths):
        spec.path(path=path, operations=paths[path])
    return spec


def render(app: web.Application) -> tuple[dict, str]:
    """The document as plain JSON-able data and as YAML text (what `onepizza openapi`
    writes and the committed openapi.yaml holds)."""
    document = _plain(build_spec(app).to_dict())
    return document, yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _plain(value):
    """Decimals (from validators' bounds) as numbers; everything else as it is."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class OpenApiHandlers:
    def __init__(self):
        self._cache: tuple[dict, str] | None = None

    def _document(self, app: web.Application) -> tuple[dict, str]:
        if self._cache is None:
            self._cache = render(app)
        return self._cache

    async def json(self, request: web.Request) -> web.Response:
        return json_response(self._document(request.app)[0])

    async def yaml(self, request: web.Request) -> web.Response:
        return web.Response(text=self._document(request.app)[1], content_type="application/yaml")

    async def docs(self, request: web.Request) -> web.Response:
        return web.Response(text=DOCS_PAGE, content_type="text/html")

    async def docs_init(self, request: web.Request) -> web.Response:
        return web.Response(text=DOCS_INIT, content_type="application/javascript")


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>onepizza API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

DOCS_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  withCredentials: true,
});
"""
