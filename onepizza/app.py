"""create_app(settings): routes, middlewares, Socket.IO and the loop tasks, in one place."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp_session import session_middleware

from onepizza.api.keys import RATE_LIMITER, SETTINGS
from onepizza.api.middlewares import (
    compression_middleware,
    csrf_middleware,
    error_middleware,
    make_headers_middleware,
)
from onepizza.api.routes import setup_routes
from onepizza.api.sessions import PostgresSessionStorage
from onepizza.config import Settings
from onepizza.db import DB_POOL, create_pool, cursor
from onepizza.db import password_resets as reset_sql
from onepizza.db import sessions as session_sql
from onepizza.live.redis import RedisLiveState
from onepizza.live.state import LiveState, MemoryLiveState
from onepizza.realtime.notifier import SocketMeetingEvents
from onepizza.realtime.server import SIO, SOCKETIO_CHANNEL
from onepizza.realtime.server import attach as attach_socketio
from onepizza.services.accounts import AccountService
from onepizza.services.analytics import Analytics, AnalyticsReports
from onepizza.services.api_keys import ApiKeyService
from onepizza.services.attendance import AttendanceReports
from onepizza.services.billing import BillingService
from onepizza.services.chat import ChatService
from onepizza.services.companies import CompanyService
from onepizza.services.email import Mailer
from onepizza.services.joined_collab import JoinedCollab
from onepizza.services.leases import Leases
from onepizza.services.meeting_access import MeetingAccess
from onepizza.services.meeting_timers import MeetingTimers, new_node_id
from onepizza.services.meetings import ENDED_AT_SHUTDOWN, MeetingService
from onepizza.services.notes import NotesService
from onepizza.services.payments.stripe import StripePayments
from onepizza.services.payments.usdc import DepositAddresses, UsdcWatcher
from onepizza.services.polls import PollService
from onepizza.services.questions import QuestionService
from onepizza.services.ratelimit import RateLimiter
from onepizza.services.recordings import RecordingService
from onepizza.services.recurring import RecurringService
from onepizza.services.registry import (
    ACCOUNTS,
    ANALYTICS,
    ANALYTICS_REPORTS,
    API_KEYS,
    ATTENDANCE,
    BILLING,
    CHAT,
    COMPANIES,
    JOINED_COLLAB,
    LIVE,
    MAILER,
    MEETING_ACCESS,
    MEETING_TIMERS,
    MEETINGS,
    NODE_ID,
    NOTES,
    POLLS,
    QUESTIONS,
    RECORDINGS,
    RECURRING,
    TEMPLATES,
    USDC,
    USDC_WATCHER,
    WEBHOOKS,
)
from onepizza.services.templates import TemplateService
from onepizza.services.webhooks import WebhookService

HOUSEKEEPING_INTERVAL = 3600  # seconds between purges of expired sessions and tokens
POOL_CLOSE_TIMEOUT = 5.0

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> web.Application:
    """The application for `settings`, which must name a database (see cli.serve)."""
    if settings.database_url is None:
        raise ValueError("create_app needs settings.database_url; start the embedded server first")
    app = web.Application(client_max_size=settings.max_body_bytes)
    sessions = PostgresSessionStorage(
        app, max_age=settings.session_max_age, secure=settings.production
    )
    app.middlewares.extend(
        [
            make_headers_middleware(settings),
            compression_middleware,
            error_middleware,
            csrf_middleware,  # inside error_middleware: its 403 leaves as JSON
            session_middleware(sessions),  # inside: a failed request saves no session
        ]
    )
    app[SETTINGS] = settings
    app[NODE_ID] = new_node_id()
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_analytics)  # before _meetings: it records the shutdown's endings
    app.cleanup_ctx.append(_webhooks)  # before _services and _meetings: they emit events
    app.cleanup_ctx.append(_rate_limiter)
    app.cleanup_ctx.append(_services)
    app.cleanup_ctx.append(_usdc)
    app.cleanup_ctx.append(_meetings)
    app.cleanup_ctx.append(_leases)
    setup_routes(app)
    app.on_shutdown.append(_end_what_cannot_survive)  # before the sockets close
    attach_socketio(app, settings)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await create_pool(settings.database_url, maxsize=settings.db_pool_max)
    app[DB_POOL] = pool
    yield
    pool.close()
    try:
        await asyncio.wait_for(pool.wait_closed(), POOL_CLOSE_TIMEOUT)
    except TimeoutError:
        log.warning("database connections still busy at shutdown; closing them")
        pool.terminate()
        await pool.wait_closed()


async def _analytics(app: web.Application) -> AsyncIterator[None]:
    """The analytics recorder and its writer loop; the last events are written at close."""
    recorder = Analytics(app[DB_POOL])
    app[ANALYTICS] = recorder
    recorder.start()
    yield
    await recorder.close()


async def _webhooks(app: web.Application) -> AsyncIterator[None]:
    """Webhook endpoints, the outbox writer and the delivery loop. Stopped after the
    meetings: the events of the shutdown's endings are written first."""
    settings = app[SETTINGS]
    if settings.webhook_allow_insecure and settings.production:
        log.warning("WEBHOOK_ALLOW_INSECURE is on: webhooks may use http and private addresses")
    service = WebhookService(
        app[DB_POOL],
        allow_insecure=settings.webhook_allow_insecure,
        retry_scale=settings.webhook_retry_scale,
        poll_interval=settings.webhook_poll_interval,
    )
    app[WEBHOOKS] = service
    stop = asyncio.Event()
    loops = [
        asyncio.create_task(service.run_writer(stop), name="webhook-outbox"),
        asyncio.create_task(service.run_delivery(stop), name="webhook-delivery"),
    ]
    yield
    stop.set()
    await asyncio.gather(*loops)


async def _rate_limiter(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    limiter = RateLimiter(settings.rate_limits, settings.redis_url)
    app[RATE_LIMITER] = limiter
    yield
    await limiter.close()


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings, pool = app[SETTINGS], app[DB_POOL]
    mailer = Mailer(settings)
    await mailer.start()
    app[MAILER] = mailer
    app[ACCOUNTS] = AccountService(pool, settings, mailer)
    app[API_KEYS] = ApiKeyService(pool)
    app[COMPANIES] = CompanyService(pool)
    app[RECORDINGS] = RecordingService(
        pool,
        settings.recordings_dir,
        max_bytes=settings.recording_max_bytes,
        quota_bytes=settings.recording_quota_bytes,
        min_free_bytes=settings.recording_min_free_bytes,
        upload_window=settings.recording_upload_window,
        webhooks=app[WEBHOOKS],
    )
    app[BILLING] = BillingService(pool, StripePayments(settings))
    await app[ACCOUNTS].seed_admin()
    yield
    await app[BILLING].close()
    await mailer.close()


async def _usdc(app: web.Application) -> AsyncIterator[None]:
    """USDC deposit addresses, and the deposit watcher when there is a chain to watch."""
    settings, pool = app[SETTINGS], app[DB_POOL]
    addresses = DepositAddresses(pool, settings.crypto_mnemonic)
    app[USDC] = addresses
    if not (addresses.enabled and settings.eth_rpc_url):
        if addresses.enabled:
            log.warning("ETH_RPC_URL is not set: USDC deposits are not watched")
        yield
        return
    watcher = UsdcWatcher(
        pool,
        rpc_url=settings.eth_rpc_url,
        contract=settings.usdc_contract,
        confirmations=settings.eth_confirmations,
        poll_interval=settings.usdc_poll_interval,
        start_block=settings.eth_start_block,
    )
    app[USDC_WATCHER] = watcher  # run by the process holding its lease (see _leases)
    yield


async def _meetings(app: web.Application) -> AsyncIterator[None]:
    """Live meeting state (Redis with REDIS_URL, else this process's memory), the meeting
    service, and this process's heartbeat. At the end this process's participants leave
    (their clients reconnect elsewhere or to its successor); meetings go on."""
    settings = app[SETTINGS]
    live: LiveState
    if settings.redis_url:
        live = RedisLiveState(settings.redis_url, channel=SOCKETIO_CHANNEL)
    else:
        live = MemoryLiveState()
    service = MeetingService(
        app[DB_POOL],
        live,
        node_id=app[NODE_ID],
        mailer=app[MAILER],
        analytics=app[ANALYTICS],
    )
    service.set_events(SocketMeetingEvents(app[SIO]))
    service.set_webhooks(app[WEBHOOKS])
    app[LIVE] = live
    app[MEETINGS] = service
    app[MEETING_TIMERS] = MeetingTimers(
        app[DB_POOL], service, grace_seconds=settings.meeting_grace_seconds
    )
    app[CHAT] = ChatService(app[DB_POOL], live)
    app[ANALYTICS_REPORTS] = AnalyticsReports(app[DB_POOL], live)
    _collaboration(app, live)
    app[TEMPLATES] = TemplateService(app[DB_POOL])
    app[RECURRING] = RecurringService(
        app[DB_POOL], app[TEMPLATES], service, analytics=app[ANALYTICS]
    )
    await app[MEETING_TIMERS].restore()  # before serving: a rejoining client finds its meeting
    stop = asyncio.Event()
    heartbeat = asyncio.create_task(app[MEETING_TIMERS].run_heartbeat(stop), name="heartbeat")
    yield
    stop.set()
    await heartbeat
    await app[MEETING_TIMERS].leave_deployment()
    await app[CHAT].close()  # the messages still waiting to be stored
    await live.close()


def _collaboration(app: web.Application, live: LiveState) -> None:
    """Polls, Q&A, shared notes and attendance; their changes reach the meeting's sockets."""
    pool, events = app[DB_POOL], SocketMeetingEvents(app[SIO])
    app[MEETING_ACCESS] = MeetingAccess(pool, live)
    app[ATTENDANCE] = AttendanceReports(pool)
    app[JOINED_COLLAB] = JoinedCollab(pool)
    for key, service in (
        (POLLS, PollService(pool)),
        (QUESTIONS, QuestionService(pool)),
        (NOTES, NotesService(pool)),
    ):
        service.set_events(events)
        app[key] = service


async def _end_what_cannot_survive(app: web.Application) -> None:
    """Guest meetings of a memory-state process have no row to come back from: they end,
    and their participants hear `meeting:ended` before the sockets close."""
    if MEETINGS in app and isinstance(app[LIVE], MemoryLiveState):
        try:
            await asyncio.wait_for(app[MEETINGS].end_guest_meetings(ENDED_AT_SHUTDOWN), 5)
        except TimeoutError:
            log.warning("guest meetings still ending at shutdown")


async def _leases(app: web.Application) -> AsyncIterator[None]:
    """Jobs that run once for the whole deployment, in whichever process holds the job's
    lease. With memory state every process is a deployment of its own, so the meeting
    timers' leases are this process's alone."""
    settings = app[SETTINGS]
    timers = app[MEETING_TIMERS]
    scope = "" if settings.redis_url else f":{app[MEETINGS].node_id}"
    jobs = {
        f"meeting-timers{scope}": timers.run_timers,
        f"meeting-scheduler{scope}": timers.run_scheduler,
        "housekeeping": functools.partial(_housekeeping, app),
        # rules and meetings are rows: one process of the whole deployment makes them
        "recurring-occurrences": app[RECURRING].run,
    }
    if USDC_WATCHER in app:
        jobs["usdc-watcher"] = app[USDC_WATCHER].run
    leases = Leases(settings.database_url, jobs)
    stop = asyncio.Event()
    task = asyncio.create_task(leases.run(stop), name="leases")
    yield
    stop.set()
    await task


async def _housekeeping(app: web.Application, stop: asyncio.Event) -> None:
    """Purge expired sessions and reset tokens now and then. Stopped between rounds, never
    mid-query: aiopg loses a connection cancelled in the middle of a statement."""
    while not stop.is_set():
        try:
            async with cursor(app[DB_POOL]) as cur:
                await session_sql.purge_expired(cur)
                await reset_sql.purge(cur)
        except Exception as exc:  # the database may be down for a while
            log.warning("housekeeping failed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HOUSEKEEPING_INTERVAL)
