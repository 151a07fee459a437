"""Application keys under which the services live, built once the pool exists."""

from aiohttp import web

from onepizza.live.state import LiveState
from onepizza.services.accounts import AccountService
from onepizza.services.analytics import Analytics, AnalyticsReports
from onepizza.services.api_keys import ApiKeyService
from onepizza.services.attendance import AttendanceReports
from onepizza.services.billing import BillingService
from onepizza.services.chat import ChatService
from onepizza.services.companies import CompanyService
from onepizza.services.email import Mailer
from onepizza.services.joined_collab import JoinedCollab
from onepizza.services.meeting_access import MeetingAccess
from onepizza.services.meeting_timers import MeetingTimers
from onepizza.services.meetings import MeetingService
from onepizza.services.notes import NotesService
from onepizza.services.payments.usdc import DepositAddresses, UsdcWatcher
from onepizza.services.polls import PollService
from onepizza.services.questions import QuestionService
from onepizza.services.recordings import RecordingService
from onepizza.services.recurring import RecurringService
from onepizza.services.templates import TemplateService
from onepizza.services.webhooks import WebhookService

ACCOUNTS = web.AppKey("accounts", AccountService)
API_KEYS = web.AppKey("api_keys", ApiKeyService)
COMPANIES = web.AppKey("companies", CompanyService)
MAILER = web.AppKey("mailer", Mailer)
LIVE = web.AppKey("live", LiveState)
MEETINGS = web.AppKey("meetings", MeetingService)
MEETING_TIMERS = web.AppKey("meeting_timers", MeetingTimers)
NODE_ID = web.AppKey("node_id", str)  # this process, in a deployment of many
CHAT = web.AppKey("chat", ChatService)
BILLING = web.AppKey("billing", BillingService)
USDC = web.AppKey("usdc", DepositAddresses)
USDC_WATCHER = web.AppKey("usdc_watcher", UsdcWatcher)  # where ETH_RPC_URL is set
RECORDINGS = web.AppKey("recordings", RecordingService)
WEBHOOKS = web.AppKey("webhooks", WebhookService)
ANALYTICS = web.AppKey("analytics", Analytics)
ANALYTICS_REPORTS = web.AppKey("analytics_reports", AnalyticsReports)
# Polls, Q&A, shared notes and attendance (collaboration.md)
MEETING_ACCESS = web.AppKey("meeting_access", MeetingAccess)
POLLS = web.AppKey("polls", PollService)
QUESTIONS = web.AppKey("questions", QuestionService)
NOTES = web.AppKey("notes", NotesService)
ATTENDANCE = web.AppKey("attendance", AttendanceReports)
JOINED_COLLAB = web.AppKey("joined_collab", JoinedCollab)
# Templates and recurring meetings (collaboration.md)
TEMPLATES = web.AppKey("templates", TemplateService)
RECURRING = web.AppKey("recurring", RecurringService)
