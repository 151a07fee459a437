"""Every HTTP route of the application, in one place."""

from __future__ import annotations

from aiohttp import web

from onepizza.api.accounts import AccountHandlers
from onepizza.api.admin import AdminHandlers
from onepizza.api.admin_page import AdminPageHandlers
from onepizza.api.analytics import AnalyticsHandlers
from onepizza.api.api_keys import ApiKeyHandlers
from onepizza.api.billing import BillingHandlers
from onepizza.api.collab import CollabHandlers
from onepizza.api.companies import CompanyHandlers
from onepizza.api.health import HealthHandlers
from onepizza.api.ice import IceHandlers
from onepizza.api.keys import SETTINGS
from onepizza.api.meetings import MeetingHandlers
from onepizza.api.openapi import SWAGGER_DIR, OpenApiHandlers
from onepizza.api.pages import PageHandlers, add_static_routes
from onepizza.api.recordings import RecordingHandlers
from onepizza.api.recurring import RecurringHandlers
from onepizza.api.templates import TemplateHandlers
from onepizza.api.webhooks import WebhookHandlers

# GET /admin/api/analytics/<report>, each served by the AnalyticsHandlers method of that name.
ANALYTICS_REPORTS = (
    "features",
    "errors",
    "realtime",
    "retention",
    "health",
    "peak-hours",
    "overview",
    "users",
    "trends",
)


def setup_routes(app: web.Application) -> None:
    health = HealthHandlers()
    pages = PageHandlers()
    accounts = AccountHandlers()
    keys = ApiKeyHandlers()
    companies = CompanyHandlers()
    meetings = MeetingHandlers()

    app.router.add_post("/api/auth/register", accounts.register, name="auth-register")
    app.router.add_post("/api/auth/login", accounts.login, name="auth-login")
    app.router.add_post("/api/auth/logout", accounts.logout, name="auth-logout")
    app.router.add_get("/api/auth/me", accounts.me, name="auth-me")
    app.router.add_post("/api/auth/forgot-password", accounts.forgot_password, name="auth-forgot")
    app.router.add_get(
        "/api/auth/reset-password", accounts.check_reset_token, name="auth-reset-check"
    )
    app.router.add_post("/api/auth/reset-password", accounts.reset_password, name="auth-reset")
    app.router.add_post("/api/auth/change-password", accounts.change_password, name="auth-change")

    app.router.add_get("/api/user/keys", keys.list, name="keys-list")
    app.router.add_post("/api/user/keys", keys.create, name="keys-create")
    app.router.add_delete("/api/user/keys/{id}", keys.revoke, name="keys-revoke")

    app.router.add_post("/api/company/join", companies.join, name="company-join")
    app.router.add_get("/api/company/members", companies.members, name="company-members")
    app.router.add_delete(
        "/api/company/members/{id}", companies.remove_member, name="company-member-remove"
    )

    app.router.add_get("/health", health.health, name="health")
    app.router.add_get("/health/liveness", health.liveness, name="health-liveness")
    app.router.add_get("/health/readiness", health.readiness, name="health-readiness")

    # Fixed paths before /api/meetings/{meeting_id}, which would otherwise match them.
    app.router.add_post("/api/meetings/guest", meetings.create_guest, name="meetings-guest")
    app.router.add_get("/api/meetings/history", meetings.history, name="meetings-history")
    app.router.add_get(
        "/api/meetings/scheduled/list", meetings.scheduled, name="meetings-scheduled"
    )
    app.router.add_post("/api/meetings", meetings.create, name="meetings-create")
    app.router.add_get("/api/meetings", meetings.list, name="meetings-list")
    one = "/api/meetings/{meeting_id}"
    app.router.add_get(one, meetings.get, name="meeting-get")
    app.router.add_delete(one, meetings.delete, name="meeting-delete")
    app.router.add_patch(one + "/settings", meetings.update_settings, name="meeting-settings")
    app.router.add_post(one + "/lock", meetings.lock, name="meeting-lock")
    app.router.add_post(one + "/unlock", meetings.unlock, name="meeting-unlock")
    app.router.add_post(one + "/invite", meetings.invite, name="meeting-invite")
    app.router.add_post(one + "/mute-all", meetings.mute_all, name="meeting-mute-all")
    who = one + "/participants/{participant_id}"
    app.router.add_post(who + "/mute", meetings.mute, name="participant-mute")
    app.router.add_post(who + "/unmute", meetings.unmute, name="participant-unmute")
    app.router.add_post(who + "/kick", meetings.kick, name="participant-kick")
    app.router.add_get(one + "/transcript", meetings.transcript, name="meeting-transcript")
    app.router.add_get(
        one + "/transcript/download",
        meetings.transcript_download,
        name="meeting-transcript-download",
    )

    collab = CollabHandlers()
    app.router.add_post(one + "/polls", collab.create_poll, name="polls-create")
    app.router.add_get(one + "/polls", collab.list_polls, name="polls-list")
    app.router.add_post(one + "/polls/{poll_id}/close", collab.close_poll, name="poll-close")
    app.router.add_get(one + "/questions", collab.questions, name="questions-list")
    app.router.add_get(one + "/notes", collab.get_notes, name="notes-get")
    app.router.add_put(one + "/notes", collab.put_notes, name="notes-put")
    app.router.add_get(one + "/attendance", collab.attendance, name="attendance-get")

    recordings = RecordingHandlers()
    app.router.add_post(one + "/recordings", recordings.upload, name="recordings-upload")
    app.router.add_get(one + "/recordings", recordings.list, name="recordings-list")
    app.router.add_get(
        "/api/recordings/{id}/download", recordings.download, name="recording-download"
    )
    app.router.add_delete("/api/recordings/{id}", recordings.delete, name="recording-delete")

    templates = TemplateHandlers()
    app.router.add_post("/api/templates", templates.create, name="templates-create")
    app.router.add_get("/api/templates", templates.list, name="templates-list")
    app.router.add_get("/api/templates/{id}", templates.get, name="template-get")
    app.router.add_delete("/api/templates/{id}", templates.delete, name="template-delete")

    recurring = RecurringHandlers()
    app.router.add_post("/api/recurring", recurring.create, name="recurring-create")
    app.router.add_get("/api/recurring", recurring.list, name="recurring-list")
    app.router.add_get("/api/recurring/{id}", recurring.get, name="recurring-get")
    app.router.add_delete("/api/recurring/{id}", recurring.delete, name="recurring-delete")

    webhooks = WebhookHandlers()
    app.router.add_get("/api/webhooks", webhooks.list, name="webhooks-list")
    app.router.add_post("/api/webhooks", webhooks.create, name="webhooks-create")
    app.router.add_delete("/api/webhooks/{id}", webhooks.delete, name="webhook-delete")
    app.router.add_get(
        "/api/webhooks/{id}/deliveries", webhooks.deliveries, name="webhook-deliveries"
    )
    app.router.add_post(
        "/api/webhooks/{id}/deliveries/{delivery_id}/retry",
        webhooks.retry,
        name="webhook-delivery-retry",
    )

    app.router.add_get("/api/config/ice-servers", IceHandlers().ice_servers, name="ice-servers")

    billing = BillingHandlers()
    app.router.add_get("/api/billing/history", billing.history, name="billing-history")
    app.router.add_post(
        "/api/billing/stripe/checkout", billing.stripe_checkout, name="billing-stripe-checkout"
    )
    app.router.add_post(
        "/api/billing/stripe/webhook", billing.stripe_webhook, name="billing-stripe-webhook"
    )
    app.router.add_get(
        "/api/billing/usdc/address", billing.usdc_address, name="billing-usdc-address"
    )

    admin = AdminHandlers()
    app.router.add_post("/admin/api/billing/credit", admin.credit, name="admin-billing-credit")
    app.router.add_get(
        "/admin/api/billing/transactions", admin.transactions, name="admin-billing-transactions"
    )
    app.router.add_get("/admin/api/settings", admin.settings, name="admin-settings")
    app.router.add_patch("/admin/api/settings", admin.update_settings, name="admin-settings-update")

    analytics = AnalyticsHandlers()
    app.router.add_post("/api/client-errors", analytics.client_error, name="client-errors")
    for report in ANALYTICS_REPORTS:
        handler = getattr(analytics, report.replace("-", "_"))
        app.router.add_get(
            f"/admin/api/analytics/{report}", handler, name=f"admin-analytics-{report}"
        )

    docs = OpenApiHandlers()
    app.router.add_get("/openapi.json", docs.json, name="openapi-json")
    app.router.add_get("/openapi.yaml", docs.yaml, name="openapi-yaml")
    app.router.add_get("/docs", docs.docs, name="docs")
    app.router.add_get("/docs/init.js", docs.docs_init, name="docs-init")
    app.router.add_static("/docs/assets/", SWAGGER_DIR, name="docs-assets")

    app.router.add_get("/", pages.page("index.html"), name="home")
    app.router.add_get("/join/{meeting_id}", pages.page("meeting.html"), name="join")
    for page in ("register", "login", "forgot", "reset", "dashboard"):
        app.router.add_get(f"/{page}", pages.page(f"{page}.html"), name=f"page-{page}")
    admin_page = AdminPageHandlers()
    app.router.add_get("/admin", admin_page.page, name="page-admin")
    # The same file under /static/ (added below) is guarded the same way.
    app.router.add_get("/static/admin.html", admin_page.page, name="static-admin")
    add_static_routes(app, app[SETTINGS])
