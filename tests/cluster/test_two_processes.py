"""One meeting across `onepizza serve` processes (issue 11): two processes on one database
and one Redis share the meeting's participants, signals, chat, host controls and its rules
(capacity, one-use invites); a process killed with SIGKILL loses nobody (its Bots are back
through the other one) and the meeting is still ended and charged once; a single
memory-state process killed mid-meeting keeps its meeting joinable after a start, or ends
and charges it for the time it ran; racing joins are each announced exactly once; and joins
that reach a process the moment it starts are answered like any other."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest
import redis.asyncio as aioredis
import socketio

from onepizza.client import Bot
from onepizza.client.bot import SERVER_EVENTS
from onepizza.realtime.server import SOCKETIO_CHANNEL
from tests.api.meeting_helpers import User, create_meeting, db_one, db_rows
from tests.client.heard import Heard, until
from tests.cluster.conftest import Cluster, ServerProcess

EVENTS = ("joined", *SERVER_EVENTS)
# The Redis database of this module's deployments: keys of their own, so that a deployment
# of another test session on the same Redis neither sees nor ends these meetings.
REDIS_DB = 7
GRACE = 30.0  # long enough that nothing here ends by itself unless a test means it to
SHORT_GRACE = 2.0
RATE = Decimal("0.004")
BACK_WITHIN = 5.0  # seconds from the SIGKILL to a Bot being in the meeting again
RACERS = 20
BURST = 20  # clients arriving at once at a process that just started


def bounded(seconds: float):
    """Fail the test if its body runs longer than `seconds`."""

    def decorate(test):
        @functools.wraps(test)
        async def run(*args, **kwargs):
            deadline = asyncio.timeout(seconds)
            try:
                async with deadline:
                    return await test(*args, **kwargs)
            except TimeoutError:
                if deadline.expired():
                    pytest.fail(f"{test.__name__} took more than {seconds} s")
                raise

        return run

    return decorate


async def listening(node: ServerProcess, timeout: float = 30.0) -> None:
    """Wait until the node's port accepts a connection."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", node.port)
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{node} not listening within {timeout} s")
            await asyncio.sleep(0.01)
            continue
        writer.close()
        return


# --- deployments ------------------------------------------------------------------------


def _redis_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


class Deployments:
    """At most one deployment at a time on the session's database: two memory-state or
    Redis deployments on one database would each restore, and end, the other's meetings.
    A deployment is kept while tests ask for the same one, and replaced otherwise."""

    def __init__(self, cluster: Cluster, redis_url: Callable[[], str]):
        self.cluster = cluster
        self._redis_url = redis_url
        self._key: tuple | None = None
        self.nodes: list[ServerProcess] = []

    async def redis(self, grace: float = GRACE) -> list[ServerProcess]:
        """Two processes on one Redis."""
        url = _redis_db(self._redis_url(), REDIS_DB)
        return await self._use(("redis", grace), 2, {"REDIS_URL": url}, grace)

    def redis_url(self) -> str:
        return self._redis_url()

    async def memory(self, grace: float = GRACE) -> ServerProcess:
        """One process, its live state in its memory."""
        (node,) = await self._use(("memory", grace), 1, {}, grace)
        return node

    async def _use(self, key: tuple, n: int, env: dict, grace: float) -> list[ServerProcess]:
        if key == self._key and all(node.running for node in self.nodes):
            return self.nodes
        self.stop()
        env = {**env, "MEETING_GRACE_SECONDS": str(grace)}
        self.nodes = await self.cluster.start(n, env, redis="REDIS_URL" in env)
        self._key = key
        return self.nodes

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()
        self.nodes, self._key = [], None


@pytest.fixture(scope="module")
def deployments(tmp_path_factory, database_url, request):
    cluster = Cluster(tmp_path_factory.mktemp("two-processes"), database_url, request)
    made = Deployments(cluster, lambda: request.getfixturevalue("redis_url"))
    yield made
    cluster.kill_all()


# --- participants -----------------------------------------------------------------------


class Peer:
    """A python-socketio client on one node, recording every event in order."""

    def __init__(self, url: str, name: str):
        self.url = url
        self.name = name
        self.participant_id: str | None = None
        self.events: list[tuple[str, Any]] = []
        self.sio = socketio.AsyncClient(reconnection=False, request_timeout=5)
        for event in EVENTS:
            self.sio.on(event, self._recorder(event))

    def _recorder(self, event: str):
        async def record(data=None):
            self.events.append((event, data))

        return record

    async def connect(self) -> Peer:
        await asyncio.wait_for(self.sio.connect(self.url, transports=["websocket"]), 10)
        return self

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data)

    def of(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    async def next(self, event: str, after: int = 0, timeout: float = 5.0) -> Any:
        """The first `event` at or after index `after`, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for name, data in self.events[after:]:
                if name == event:
                    return data
            if time.monotonic() > deadline:
                heard = [name for name, _ in self.events[after:]]
                pytest.fail(f"{self.name} heard no {event!r} within {timeout} s; heard {heard}")
            await asyncio.sleep(0.02)

    async def try_join(self, meeting_id: str, timeout: float = 10.0, **extra) -> tuple[str, Any]:
        """("joined", payload) or ("error", message)."""
        mark = len(self.events)
        await self.emit("join-meeting", {"meetingId": meeting_id, "name": self.name, **extra})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, data in self.events[mark:]:
                if name == "joined":
                    self.participant_id = data["participantId"]
                    return name, data
                if name == "error":
                    return name, data["message"]
            await asyncio.sleep(0.02)
        pytest.fail(f"{self.name} on {self.url}: no answer to join-meeting in {timeout} s")

    async def join(self, meeting_id: str, **extra) -> dict:
        outcome, data = await self.try_join(meeting_id, **extra)
        assert outcome == "joined", f"{self.name} on {self.url} was refused: {data}"
        return data

    async def close(self) -> None:
        if self.sio.connected:
            await asyncio.wait_for(self.sio.disconnect(), 5)


@pytest.fixture
async def peers():
    """`await peers(node, name)` -> a connected Peer; all closed at teardown."""
    made: list[Peer] = []

    async def connect(node: ServerProcess, name: str) -> Peer:
        peer = Peer(node.url, name)
        made.append(peer)
        return await peer.connect()

    yield connect
    await asyncio.gather(*(peer.close() for peer in made), return_exceptions=True)


async def bot_join(bot: Bot, meeting_id: str, **kwargs) -> dict:
    """`bot.join`, failing with the Bot's name and server when no `joined` comes."""
    try:
        return await bot.join(meeting_id, timeout=10, **kwargs)
    except TimeoutError:
        pytest.fail(f"{bot.name} on {bot.url}: no answer to join-meeting within 10 s")


# --- REST and SQL -------------------------------------------------------------------------


async def post(node: ServerProcess, path: str, headers: dict, body: dict | None = None) -> dict:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
        http.post(node.url + path, json=body or {}, headers=headers) as resp,
    ):
        assert resp.status == 200, f"POST {path} on {node}: {resp.status} {await resp.text()}"
        return await resp.json()


async def new_meeting(node: ServerProcess, user: User, **body) -> dict:
    async with aiohttp.ClientSession(
        base_url=node.url, timeout=aiohttp.ClientTimeout(total=10)
    ) as http:
        return await create_meeting(http, user, title="Two processes", **body)


async def meeting_status(node: ServerProcess, user: User, meeting_id: str) -> str:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
        http.get(f"{node.url}/api/meetings/{meeting_id}", headers=user.headers) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return (await resp.json())["status"]


def ended_row(database_url: str, meeting_id: str) -> dict | None:
    rows = db_rows(
        database_url,
        """
        SELECT status, ended_at, duration_minutes, peak_participants, cost_usd
        FROM meetings WHERE id = %s
        """,
        (meeting_id,),
    )
    status, ended_at, minutes, peak, cost = rows[0]
    if status != "ended":
        return None
    return {"ended_at": ended_at, "minutes": minutes, "peak": peak, "cost": cost}


async def wait_ended(database_url: str, meeting_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while (row := ended_row(database_url, meeting_id)) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"meeting {meeting_id} not ended within {timeout} s")
        await asyncio.sleep(0.2)
    return row


def meeting_charges(database_url: str, meeting_id: str) -> list[Decimal]:
    rows = db_rows(
        database_url,
        """
        SELECT amount_usd FROM credit_transactions
        WHERE meeting_id = %s AND type = 'meeting_charge' ORDER BY id
        """,
        (meeting_id,),
    )
    return [amount for (amount,) in rows]


def make_older(database_url: str, meeting_id: str, minutes: int) -> float:
    """Move the meeting's start and its attendance rows' joins `minutes` back; return how
    many seconds it has run since its (new) start."""
    shift = f"interval '{int(minutes)} minutes'"
    db_rows(
        database_url,
        f"UPDATE meetings SET started_at = started_at - {shift} WHERE id = %s",  # noqa: S608
        (meeting_id,),
    )
    db_rows(
        database_url,
        f"UPDATE attendance SET joined_at = joined_at - {shift} WHERE meeting_id = %s",  # noqa: S608
        (meeting_id,),
    )
    (ran,) = db_one(
        database_url,
        "SELECT extract(epoch FROM now() - started_at)::float FROM meetings WHERE id = %s",
        (meeting_id,),
    )
    return ran


def platform_rate(database_url: str) -> Decimal:
    rows = db_rows(
        database_url,
        """
        SELECT (value #>> '{}')::numeric FROM platform_settings
        WHERE key = 'rate_per_participant_minute'
        """,
    )
    return rows[0][0] if rows else RATE


# --- 1. one meeting, two processes ---------------------------------------------------------


@bounded(60)
async def test_participants_on_two_processes_see_each_other_signal_and_chat(
    deployments, peers, funded_user
):
    node1, node2 = await deployments.redis()
    user = await funded_user(node1)
    meeting = await new_meeting(node1, user)
    mid = meeting["meetingId"]
    alice = await peers(node1, "Alice")
    bob = await peers(node2, "Bob")
    carol = await peers(node2, "Carol")  # with Bob: what is his must not reach her

    alice_joined = await alice.join(mid, adminToken=meeting["adminToken"])
    assert alice_joined["participants"] == [] and alice_joined["isAdmin"] is True
    bob_joined = await bob.join(mid)
    # Bob, on node2, finds Alice (node1) already there; Alice hears of Bob.
    assert [p["participantId"] for p in bob_joined["participants"]] == [alice.participant_id]
    arrival = await alice.next("participant:joined")
    assert arrival["participantId"] == bob.participant_id and arrival["name"] == "Bob"
    await carol.join(mid)
    for peer in (alice, bob):
        await until(
            lambda peer=peer: (
                carol.participant_id in {p["participantId"] for p in peer.of("participant:joined")}
            ),
            f"{peer.name} hears of Carol",
        )

    # Offer, answer and ICE between the processes, each with `from` set by the server, to the
    # one participant named and no one else.
    offer = {"type": "offer", "sdp": "v=0 alice"}
    await alice.emit("signal:offer", {"to": bob.participant_id, "offer": offer})
    assert await bob.next("signal:offer") == {"from": alice.participant_id, "offer": offer}
    answer = {"type": "answer", "sdp": "v=0 bob"}
    await bob.emit("signal:answer", {"to": alice.participant_id, "answer": answer})
    assert await alice.next("signal:answer") == {"from": bob.participant_id, "answer": answer}
    candidate = {"candidate": "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host"}
    await alice.emit("signal:ice-candidate", {"to": bob.participant_id, "candidate": candidate})
    await bob.emit("signal:ice-candidate", {"to": alice.participant_id, "candidate": candidate})
    got = await bob.next("signal:ice-candidate")
    assert got == {"from": alice.participant_id, "candidate": candidate}
    got = await alice.next("signal:ice-candidate")
    assert got == {"from": bob.participant_id, "candidate": candidate}

    # Chat from each process reaches everyone on both.
    await alice.emit("chat:message", {"text": "from node1"})
    await bob.emit("chat:message", {"text": "from node2"})
    for peer in (alice, bob, carol):
        await until(lambda peer=peer: len(peer.of("chat:message")) == 2, f"{peer.name} chat")
        by_text = {m["text"]: m for m in peer.of("chat:message")}
        assert by_text["from node1"]["from"] == alice.participant_id
        assert by_text["from node2"]["from"] == bob.participant_id
        assert by_text["from node2"]["name"] == "Bob"
    await asyncio.sleep(0.3)  # time for a stray signal to reach Carol
    assert not [name for name, _ in carol.events if name.startswith("signal:")], carol.events

    # Leaving on one process is seen on the other, both ways: Bob leaves on node2, then
    # Alice's connection drops on node1.
    await bob.emit("leave-meeting")
    for peer in (alice, carol):
        left = await peer.next("participant:left")
        assert left["participantId"] == bob.participant_id
    await alice.close()
    await until(
        lambda: alice.participant_id in {p["participantId"] for p in carol.of("participant:left")},
        "Carol (node2) hears Alice (node1) left",
    )
    await asyncio.sleep(0.2)
    assert bob.of("participant:left") == []  # Bob, out of the meeting, hears no more of it


@bounded(60)
async def test_broadcasts_of_a_meeting_on_one_process_stay_off_redis_until_it_spans_two(
    deployments, peers, funded_user
):
    """A broadcast (chat, participant:left) to a meeting whose participants are all on the
    sender's process is delivered there without a message on the Socket.IO channel; once
    someone joins through the other process, the same broadcasts go through Redis."""
    node1, node2 = await deployments.redis()
    user = await funded_user(node1)
    meeting = await new_meeting(node1, user)
    mid = meeting["meetingId"]
    alice = await peers(node1, "Alice")
    bob = await peers(node1, "Bob")
    await alice.join(mid, adminToken=meeting["adminToken"])
    await bob.join(mid)

    redis = aioredis.from_url(_redis_db(deployments.redis_url(), REDIS_DB))
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.psubscribe(SOCKETIO_CHANNEL + "*")
    heard: list[bytes] = []

    async def listen() -> None:
        async for message in pubsub.listen():
            heard.append(message["data"])

    listener = asyncio.create_task(listen())
    try:
        await asyncio.sleep(0.2)  # subscribed
        await alice.emit("chat:message", {"text": "only on node1"})
        await until(lambda: len(bob.of("chat:message")) == 1, "Bob hears Alice")
        await asyncio.sleep(0.3)  # time for a publish to arrive
        assert not [m for m in heard if b"only on node1" in m], heard
        # Dan (node1) comes and goes: his arrival is announced through Redis (the join
        # script's), his departure and his socket's rooms are not.
        dan = await peers(node1, "Dan")
        await dan.join(mid)
        await dan.close()
        await until(lambda: bob.of("participant:left"), "Bob hears Dan left")
        await asyncio.sleep(0.3)
        dan_id = dan.participant_id.encode()
        assert not [m for m in heard if dan_id in m and b"participant:left" in m], heard
        assert not [m for m in heard if b"leave_room" in m], heard

        carol = await peers(node2, "Carol")
        await carol.join(mid)
        await alice.emit("chat:message", {"text": "to both processes"})
        await until(lambda: len(carol.of("chat:message")) == 1, "Carol (node2) hears Alice")
        assert carol.of("chat:message")[0]["text"] == "to both processes"
        await until(lambda: [m for m in heard if b"to both processes" in m], "the publish")
        await bob.emit("leave-meeting")  # now the meeting spans both: through Redis to Carol
        left = await carol.next("participant:left")
        assert left["participantId"] == bob.participant_id
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await pubsub.aclose()
        await redis.aclose()


@bounded(60)
async def test_a_rest_mute_sent_to_one_process_reaches_a_participant_on_the_other(
    deployments, peers, funded_user
):
    node1, node2 = await deployments.redis()
    user = await funded_user(node1)
    meeting = await new_meeting(node1, user)
    mid = meeting["meetingId"]
    host = await peers(node1, "Host")
    guest = await peers(node2, "Guest")
    await host.join(mid, adminToken=meeting["adminToken"])
    await guest.join(mid)
    admin = user.admin(meeting["adminToken"])

    # Sent to node1; the guest is on node2.
    path = f"/api/meetings/{mid}/participants/{guest.participant_id}/mute"
    assert (await post(node1, path, admin))["participantId"] == guest.participant_id
    assert await guest.next("admin:mute") == {}
    update = await host.next("participant:updated")
    assert update == {"participantId": guest.participant_id, "isMuted": True}
    assert not host.of("admin:mute")

    # And the other way round: sent to node2, the host is on node1.
    path = f"/api/meetings/{mid}/participants/{host.participant_id}/mute"
    await post(node2, path, admin)
    assert await host.next("admin:mute") == {}
    await asyncio.sleep(0.2)
    assert len(guest.of("admin:mute")) == 1


@bounded(60)
async def test_three_joins_racing_for_two_places_across_processes_let_two_in(
    deployments, peers, funded_user
):
    node1, node2 = await deployments.redis()
    user = await funded_user(node1)
    for round_ in range(3):
        layout = (node1, node2, node1) if round_ % 2 == 0 else (node2, node1, node2)
        racers = [await peers(node, f"R{round_}.{i}") for i, node in enumerate(layout)]
        meeting = await new_meeting(node1, user, maxParticipants=2)
        outcomes = await asyncio.gather(*(r.try_join(meeting["meetingId"]) for r in racers))
        kinds = sorted(kind for kind, _ in outcomes)
        assert kinds == ["error", "joined", "joined"], outcomes
        refused = next(data for kind, data in outcomes if kind == "error")
        assert refused == "This meeting is full"
        admitted = [r for r, (kind, _) in zip(racers, outcomes, strict=True) if kind == "joined"]
        # The two who got in see each other, and only each other.
        for me, other in (admitted, admitted[::-1]):
            await until(
                lambda me=me, other=other: knows_of(me).get(other.participant_id, 0) == 1,
                f"{me.name} knows of {other.name}",
            )
            assert set(knows_of(me)) == {other.participant_id}


@bounded(60)
async def test_an_invite_to_a_locked_meeting_is_used_once_across_processes(
    deployments, peers, funded_user
):
    node1, node2 = await deployments.redis()
    user = await funded_user(node1)
    meeting = await new_meeting(node1, user)
    mid = meeting["meetingId"]
    admin = user.admin(meeting["adminToken"])
    host = await peers(node1, "Host")
    await host.join(mid, adminToken=meeting["adminToken"])
    assert (await post(node2, f"/api/meetings/{mid}/lock", admin))["locked"] is True

    for round_ in range(3):
        invite = await post(node1 if round_ % 2 else node2, f"/api/meetings/{mid}/invite", admin)
        racers = [await peers(node1, f"I{round_}.1"), await peers(node2, f"I{round_}.2")]
        outcomes = await asyncio.gather(
            *(r.try_join(mid, inviteToken=invite["inviteToken"]) for r in racers)
        )
        assert sorted(kind for kind, _ in outcomes) == ["error", "joined"], outcomes
        assert next(data for kind, data in outcomes if kind == "error") == "This meeting is locked"
        # Used: a third try, on either process, is refused too.
        late = await peers(node1 if round_ % 2 else node2, f"I{round_}.late")
        assert await late.try_join(mid, inviteToken=invite["inviteToken"]) == (
            "error",
            "This meeting is locked",
        )
    await until(lambda: len(host.of("participant:joined")) == 3, "the host hears three guests")


class RawSocket:
    """A Socket.IO client on a bare websocket that sends `join-meeting` right behind its
    CONNECT packet, without waiting for the answer (the server handles one connection's
    packets in order): the earliest join a client can send."""

    def __init__(self, node: ServerProcess):
        self.url = node.url + "/socket.io/?EIO=4&transport=websocket"
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self.events: list[str] = []
        self.errors: list[str] = []

    async def join_at_once(self, meeting_id: str, name: str, timeout: float = 3.0) -> list[str]:
        """The names of the events heard until `joined` or `error` (or `timeout` s); the
        connection is tried until the process listens (for at most 30 s)."""
        deadline = time.monotonic() + 30
        while True:
            try:
                self.ws = await self.http.ws_connect(self.url)
                break
            except aiohttp.ClientConnectionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.002)
        assert (await self.ws.receive_str(timeout=5)).startswith("0")  # Engine.IO open
        await self.ws.send_str("40")
        join = ["join-meeting", {"meetingId": meeting_id, "name": name}]
        await self.ws.send_str("42" + json.dumps(join))
        deadline = time.monotonic() + timeout
        while "joined" not in self.events and "error" not in self.events:
            try:
                message = await self.ws.receive_str(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if message == "2":  # Engine.IO ping
                await self.ws.send_str("3")
            elif message.startswith("42"):
                event, *data = json.loads(message[2:])
                self.events.append(event)
                if event == "error":
                    self.errors.append(data[0]["message"])
        return self.events

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        await self.http.close()


async def participant_count(node: ServerProcess, user: User, meeting_id: str) -> int:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
        http.get(f"{node.url}/api/meetings/{meeting_id}", headers=user.headers) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return (await resp.json())["participantCount"]


@bounded(60)
async def test_joins_sent_at_once_to_a_freshly_started_process_are_each_answered(
    deployments, funded_user
):
    """Clients arriving in a burst at a process that just started (a restarted node behind
    the load balancer, its clients redispatched to it) are each answered."""
    node1, node2 = await deployments.redis()
    user = await funded_user(node1)
    meeting = await new_meeting(node1, user)
    node2.kill()
    await node2.start()
    sockets = [RawSocket(node2) for _ in range(BURST)]
    try:
        heard = await asyncio.gather(
            *(s.join_at_once(meeting["meetingId"], f"Early {i}") for i, s in enumerate(sockets))
        )
        counted = await participant_count(node1, user, meeting["meetingId"])
    finally:
        await asyncio.gather(*(s.close() for s in sockets))
    unanswered = [names for names in heard if "joined" not in names]
    assert not unanswered, (
        f"{len(unanswered)} of {BURST} joins heard no `joined` ({unanswered}), while the meeting"
        f" counts {counted} participants"
    )
    assert counted == BURST


# --- 4. racing joins: each pair learned of exactly once -----------------------------------


def knows_of(peer: Peer) -> dict[str, int]:
    """How many times `peer` learned of each other participant: in its `joined` list or
    by a `participant:joined` (own `joined` first; later events count too)."""
    counts: dict[str, int] = {}
    for joined in peer.of("joined")[:1]:
        for p in joined["participants"]:
            counts[p["participantId"]] = counts.get(p["participantId"], 0) + 1
    for arrival in peer.of("participant:joined"):
        counts[arrival["participantId"]] = counts.get(arrival["participantId"], 0) + 1
    return counts


async def race_joins(nodes: list[ServerProcess], user: User, peers) -> None:
    racers = await asyncio.gather(
        *(peers(nodes[i % len(nodes)], f"Racer {i}") for i in range(RACERS))
    )
    meeting = await new_meeting(nodes[0], user)
    outcomes = await asyncio.gather(*(r.try_join(meeting["meetingId"]) for r in racers))
    assert all(kind == "joined" for kind, _ in outcomes), outcomes
    ids = {r.participant_id for r in racers}
    assert len(ids) == RACERS
    # Until each knows of everyone, then a while longer for a duplicate to arrive.
    await until(
        lambda: all(set(knows_of(r)) >= ids - {r.participant_id} for r in racers),
        "every racer learns of every other",
        timeout=10,
    )
    await asyncio.sleep(1.5)
    problems = []
    for me in racers:
        counts = knows_of(me)
        for other in racers:
            if other is me:
                continue
            times = counts.get(other.participant_id, 0)
            if times != 1:
                listed = other.participant_id in {
                    p["participantId"] for p in me.of("joined")[0]["participants"]
                }
                problems.append(
                    f"{me.name} ({me.url}) learned of {other.name} ({other.url}) {times} times"
                    f" (in its joined list: {listed})"
                )
        strangers = set(counts) - ids
        if strangers or me.participant_id in counts:
            problems.append(f"{me.name} was told of {strangers or 'itself'}")
        if len(me.of("joined")) != 1:
            problems.append(f"{me.name} got {len(me.of('joined'))} joined events")
    assert not problems, f"{len(problems)} of {RACERS * (RACERS - 1)} pairs:\n" + "\n".join(
        problems[:40]
    )


@bounded(60)
async def test_racing_joins_across_two_processes_are_each_announced_once(
    deployments, peers, funded_user
):
    nodes = await deployments.redis()
    await race_joins(nodes, await funded_user(nodes[0]), peers)


@bounded(60)
async def test_racing_joins_on_one_process_with_redis_are_each_announced_once(
    deployments, peers, funded_user
):
    node1, _ = await deployments.redis()
    await race_joins([node1], await funded_user(node1), peers)


# --- 2. SIGKILL of one of two processes ----------------------------------------------------


@bounded(75)
async def test_a_killed_process_participants_are_back_through_the_other_and_it_ends_once(
    deployments, funded_user, database_url
):
    node1, node2 = await deployments.redis(grace=SHORT_GRACE)
    user = await funded_user(node2)
    meeting = await new_meeting(node2, user)
    mid = meeting["meetingId"]
    urls = [node1.url, node2.url]
    host = Bot(urls, "Host", reconnect_timeout=20)
    ann = Bot(urls, "Ann", reconnect_timeout=20)
    ben = Bot(urls[::-1], "Ben", reconnect_timeout=20)
    bots = (host, ann, ben)
    heard = {bot.name: Heard(bot) for bot in bots}
    try:
        await bot_join(host, mid, admin_token=meeting["adminToken"])
        await bot_join(ann, mid)
        await bot_join(ben, mid)
        assert (host.url, ann.url, ben.url) == (node1.url, node1.url, node2.url)
        first_ids = {bot.participant_id for bot in bots}
        await until(
            lambda: heard["Ben"].present() == first_ids - {ben.participant_id},
            "Ben sees Host and Ann",
        )
        marks = {name: len(h.events) for name, h in heard.items()}
        make_older(database_url, mid, 5)  # so that it costs something

        node1.kill()
        killed = time.monotonic()

        for bot in (host, ann):
            again = await heard[bot.name].next("joined", marks[bot.name], BACK_WITHIN)
            assert bot.url == node2.url and bot.meeting_id == mid
            assert again["participantId"] == bot.participant_id not in first_ids
        back_after = time.monotonic() - killed
        assert back_after < BACK_WITHIN, f"back after {back_after:.1f} s"
        now_ids = {bot.participant_id for bot in bots}
        for bot in bots:
            await until(
                lambda bot=bot: heard[bot.name].present() == now_ids - {bot.participant_id},
                f"{bot.name} sees the others by their current ids only",
            )
            assert "meeting:ended" not in heard[bot.name].names()
        assert await meeting_status(node2, user, mid) == "active"
        # Host powers survived the failover.
        mark = len(heard["Ben"].events)
        await host.emit("recording:broadcast-started", {"hostName": "Host"})
        assert (await heard["Ben"].next("recording:started", mark, 5))["hostName"] == "Host"
    finally:
        await asyncio.gather(*(bot.leave() for bot in bots), return_exceptions=True)
    left = time.monotonic()

    row = await wait_ended(database_url, mid, timeout=SHORT_GRACE + 15)
    ended_after = time.monotonic() - left
    assert ended_after >= SHORT_GRACE - 0.5, f"ended {ended_after:.1f} s after the last leave"
    # Three people at once at most: a Bot that came back is not a fourth.
    assert row["peak"] == 3, row
    assert 5 <= row["minutes"] < Decimal("5.5"), row
    assert row["cost"] == round(row["minutes"] * 3 * platform_rate(database_url), 4), row
    assert meeting_charges(database_url, mid) == [-row["cost"]]
    await asyncio.sleep(SHORT_GRACE + 1)  # time for a second end, were there one
    assert meeting_charges(database_url, mid) == [-row["cost"]]
    assert ended_row(database_url, mid) == row
    open_rows = db_one(
        database_url,
        "SELECT count(*) FROM attendance WHERE meeting_id = %s AND left_at IS NULL",
        (mid,),
    )
    assert open_rows == (0,)


# --- 4 (again) and 3: one memory-state process ---------------------------------------------


@bounded(60)
async def test_racing_joins_on_one_memory_state_process_are_each_announced_once(
    deployments, peers, funded_user
):
    node = await deployments.memory(grace=SHORT_GRACE)
    await race_joins([node], await funded_user(node), peers)


@bounded(75)
async def test_a_meeting_of_a_killed_single_process_is_joinable_after_a_start(
    deployments, funded_user, database_url
):
    node = await deployments.memory(grace=SHORT_GRACE)
    user = await funded_user(node)
    meeting = await new_meeting(node, user)
    mid = meeting["meetingId"]
    host = Bot(node.url, "Host", reconnect_timeout=40)
    guest = Bot(node.url, "Guest", reconnect_timeout=40)
    heard = {bot.name: Heard(bot) for bot in (host, guest)}
    newcomer = Bot(node.url, "Newcomer", reconnect=False)
    try:
        await bot_join(host, mid, admin_token=meeting["adminToken"])
        await bot_join(guest, mid)
        marks = {name: len(h.events) for name, h in heard.items()}

        node.kill()
        await asyncio.sleep(1.0)  # down for a moment
        node.env["MEETING_GRACE_SECONDS"] = "10"  # time enough for the Bots to come back
        await node.start()

        again_host = await heard["Host"].next("joined", marks["Host"], 15)
        again_guest = await heard["Guest"].next("joined", marks["Guest"], 15)
        assert "meeting:ended" not in heard["Host"].names(marks["Host"])
        assert again_host["isAdmin"] is True and again_guest["isAdmin"] is False
        assert host.meeting_id == guest.meeting_id == mid
        # A newcomer joins too, and everyone sees everyone.
        joined = await bot_join(newcomer, mid)
        assert {p["participantId"] for p in joined["participants"]} == {
            host.participant_id,
            guest.participant_id,
        }
        everyone = {host.participant_id, guest.participant_id, newcomer.participant_id}
        for bot in (host, guest):
            await until(
                lambda bot=bot: heard[bot.name].present() == everyone - {bot.participant_id},
                f"{bot.name} sees the others",
            )
        assert await meeting_status(node, user, mid) == "active"
    finally:
        for bot in (host, guest, newcomer):
            await bot.leave()
    # Restored with its peak: two before the crash, three now.
    assert db_one(database_url, "SELECT peak_participants FROM meetings WHERE id = %s", (mid,)) == (
        3,
    )


@bounded(60)
async def test_joins_as_soon_as_a_restarted_single_process_listens_are_let_in(
    deployments, peers, funded_user
):
    """Clients reconnecting to a restarted process join its meeting the moment it listens."""
    node = await deployments.memory(grace=SHORT_GRACE)
    user = await funded_user(node)
    meeting = await new_meeting(node, user)
    mid = meeting["meetingId"]
    await (await peers(node, "Before")).join(mid)
    node.kill()
    node.env["MEETING_GRACE_SECONDS"] = "10"
    starting = asyncio.ensure_future(node.start())
    sockets = [RawSocket(node) for _ in range(BURST // 4)]
    try:
        heard = await asyncio.gather(
            *(s.join_at_once(mid, f"Early {i}") for i, s in enumerate(sockets))
        )
    finally:
        await asyncio.gather(*(s.close() for s in sockets))
        await starting
    refused = [
        (names, s.errors) for names, s in zip(heard, sockets, strict=True) if names != ["joined"]
    ]
    assert not refused, f"{len(refused)} of {len(sockets)} refused or unanswered: {refused}"
    assert await meeting_status(node, user, mid) == "active"


@bounded(75)
async def test_a_meeting_of_a_killed_single_process_nobody_rejoins_is_charged_for_its_time(
    deployments, peers, funded_user, database_url
):
    node = await deployments.memory(grace=SHORT_GRACE)
    user = await funded_user(node)
    meeting = await new_meeting(node, user)
    mid = meeting["meetingId"]
    one = await peers(node, "One")
    two = await peers(node, "Two")
    await one.join(mid, adminToken=meeting["adminToken"])
    await two.join(mid)
    # Ten minutes old: started and joined ten minutes ago.
    db_rows(
        database_url,
        "UPDATE meetings SET started_at = started_at - interval '10 minutes' WHERE id = %s",
        (mid,),
    )
    db_rows(
        database_url,
        "UPDATE attendance SET joined_at = joined_at - interval '10 minutes' WHERE meeting_id = %s",
        (mid,),
    )
    (ran_before,) = db_one(
        database_url,
        "SELECT extract(epoch FROM now() - started_at)::float FROM meetings WHERE id = %s",
        (mid,),
    )
    await asyncio.sleep(2.5)  # a heartbeat of the process during the meeting
    node.kill()
    killed = time.monotonic()
    await asyncio.sleep(3.0)  # down for a while: not time the meeting ran
    node.env["MEETING_GRACE_SECONDS"] = str(SHORT_GRACE)
    await node.start()

    row = await wait_ended(database_url, mid, timeout=SHORT_GRACE + 15)
    downtime_and_grace = time.monotonic() - killed
    # It ran from its start to the crash (its last heartbeat, at most ~2 s before), not
    # through the downtime and the grace period.
    ran = ran_before + 2.5  # seconds, up to the kill
    assert ran / 60 - 0.05 <= float(row["minutes"]) <= ran / 60 + 0.02, (row, ran)
    assert downtime_and_grace / 60 > 0.07  # what a charge up to the end would have added
    assert row["peak"] == 2
    rate = platform_rate(database_url)
    assert row["cost"] == round(row["minutes"] * 2 * rate, 4)
    assert abs(row["cost"] - Decimal(10) * 2 * RATE) < Decimal("0.003")
    assert meeting_charges(database_url, mid) == [-row["cost"]]
    await asyncio.sleep(1.0)
    assert meeting_charges(database_url, mid) == [-row["cost"]]
