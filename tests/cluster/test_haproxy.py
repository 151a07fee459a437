"""deploy/haproxy.cfg run by Debian's HAProxy in front of two onepizza nodes that share one
database and one Redis: sticky long-polling sessions, failover, and one meeting whose
participants sit on different nodes."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest
import socketio
from yarl import URL

from onepizza.client.bot import Bot as SdkBot
from tests.api.meeting_helpers import create_meeting
from tests.cluster.conftest import missing
from tests.conftest import free_port
from tests.realtime.bots import EVENTS, Bot

HAPROXY_CFG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"
# `option httplog` lines: "... onepizza onepizza_nodes/node1 0/0/0/1/1 200 ... "GET /uri HTTP/1.1""
LOG_LINE = re.compile(
    r" onepizza_(?:nodes|by_meeting)/(?P<server>\S+) .*\"(?P<method>[A-Z]+) (?P<uri>\S+) HTTP/"
)


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next(
        (path for path in ("/usr/sbin/haproxy",) if os.access(path, os.X_OK)), None
    )
    if not found:
        missing(
            "haproxy is not installed (apt-get install haproxy; scripts/test does it as root)",
            "ONEPIZZA_REQUIRE_BROWSER",
            "ONEPIZZA_REQUIRE_REDIS",
        )
    return found


class Proxy:
    """HAProxy in the foreground (-db) with deploy/haproxy.cfg, its log in a file."""

    def __init__(self, binary: str, nodes, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {
            **os.environ,
            "LISTEN_ADDR": "127.0.0.1",
            "LISTEN_PORT": str(self.port),
            "NODE1": f"127.0.0.1:{nodes[0].port}",
            "NODE2": f"127.0.0.1:{nodes[1].port}",
        }
        with log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [binary, "-db", "-f", str(HAPROXY_CFG)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, "haproxy exited:\n" + self.log_text()
                try:
                    async with http.get(self.url + "/health/readiness") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        pytest.fail("haproxy did not answer in time:\n" + self.log_text())

    def requests(self) -> list[tuple[str, str, str]]:
        """(server, method, uri) of every request the proxy has logged so far."""
        return [
            (m["server"], m["method"], m["uri"])
            for m in map(LOG_LINE.search, self.log_text().splitlines())
            if m
        ]

    def servers_of(self, engineio_sid: str) -> list[str]:
        """The server of each logged request of one Engine.IO session."""
        return [server for server, _, uri in self.requests() if f"sid={engineio_sid}" in uri]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def haproxy() -> str:
    return haproxy_binary()


@pytest.fixture
async def nodes(haproxy, cluster):
    # haproxy first: a machine without it skips before starting any node.
    return await cluster.start(2, {"TRUST_PROXY": "1"}, redis=True)


@pytest.fixture
async def proxy(haproxy, nodes, tmp_path):
    proxy = Proxy(haproxy, nodes, tmp_path / "haproxy.log")
    try:
        await proxy.wait_ready()
        yield proxy
    finally:
        proxy.stop()


class PollingBot(Bot):
    """A test participant over Socket.IO long-polling through the proxy.

    python-socketio sends every request of a client through one aiohttp session, whose cookie
    jar carries HAProxy's SERVERID cookie from the handshake to the polls that follow. The
    default jar ignores cookies of hosts given as an IP address (127.0.0.1 here), so the
    session gets a jar that accepts them, as a browser's would. `node` ("node1", "node2")
    pins the client to that node by presetting the cookie."""

    def __init__(self, url: str, node: str | None = None):
        super().__init__(url)
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        if node:
            self.http.cookie_jar.update_cookies({"SERVERID": node}, URL(url))
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self.http)
        for event in EVENTS:
            self.sio.on(event, self._recorder(event))

    async def connect(self) -> PollingBot:
        await self.sio.connect(self.url, transports=["polling"])
        return self

    async def join(self, meeting_id: str, name: str, **extra) -> dict:
        """Join; fail at once, naming the node, when the server answers with an error."""
        joined, errors = len(self.events["joined"]), len(self.events["error"])
        await self.emit("join-meeting", {"meetingId": meeting_id, "name": name, **extra})
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(
                    lambda: (
                        len(self.events["joined"]) > joined or len(self.events["error"]) > errors
                    )
                ),
                5,
            )
        if len(self.events["error"]) > errors:
            pytest.fail(f"{name} on {self.cookie} was refused: {self.events['error'][errors]}")
        return self.events["joined"][joined]

    @property
    def engineio_sid(self) -> str:
        return self.sio.eio.sid

    @property
    def cookie(self) -> str | None:
        cookie = self.http.cookie_jar.filter_cookies(URL(self.url)).get("SERVERID")
        return cookie.value if cookie else None

    async def close(self) -> None:
        # A polling client's disconnect waits for its pending long-poll GET, which the server
        # may hold for up to pingInterval; closing the session ends that GET at once.
        disconnect = asyncio.ensure_future(self.sio.disconnect()) if self.sio.connected else None
        if disconnect:
            await asyncio.wait({disconnect}, timeout=1)
        await self.http.close()
        if disconnect:
            await asyncio.wait({disconnect}, timeout=5)


@pytest.fixture
async def bots(proxy):
    """`bots(node=None)` -> a connected PollingBot through the proxy; all closed at teardown."""
    made: list[PollingBot] = []

    async def connect(node: str | None = None) -> PollingBot:
        bot = PollingBot(proxy.url, node)
        made.append(bot)
        return await bot.connect()

    yield connect
    await asyncio.gather(*(bot.close() for bot in made))


async def served_by(proxy: Proxy, cookies: dict[str, str] | None = None) -> tuple[str, str | None]:
    """GET /health through the proxy (no cookie jar): which node answered (from the log),
    and the SERVERID the proxy set, if any."""
    marker = os.urandom(6).hex()
    url = f"{proxy.url}/health?probe={marker}"
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.get(url, cookies=cookies) as resp,
    ):
        assert resp.status == 200, await resp.text()
        assert await resp.json() == {"status": "ok", "db": "connected"}
        set_cookie = resp.cookies.get("SERVERID")
    for _ in range(50):  # the log line is written as the response completes
        servers = [s for s, _, uri in proxy.requests() if f"probe={marker}" in uri]
        if servers:
            return servers[0], set_cookie.value if set_cookie else None
        await asyncio.sleep(0.02)
    raise AssertionError("request not in haproxy's log:\n" + proxy.log_text())


async def test_proxy_spreads_new_clients_and_keeps_each_on_its_node(proxy):
    first = [await served_by(proxy) for _ in range(4)]
    # New clients go round robin and each gets a cookie naming the node that served it.
    assert {server for server, _ in first} == {"node1", "node2"}
    assert all(server == cookie for server, cookie in first)
    # A client with a cookie stays on its node, and is not sent the cookie again ("indirect").
    for node in ("node2", "node1", "node2", "node2"):
        assert await served_by(proxy, {"SERVERID": node}) == (node, None)


async def socketio_served_by(
    proxy: Proxy, meeting_id: str, cookies: dict[str, str] | None = None
) -> str:
    """A Socket.IO handshake (long-polling) through the proxy naming `meeting_id`, as the
    page and the bots connect: which node answered (from the log)."""
    marker = os.urandom(6).hex()
    url = f"{proxy.url}/socket.io/?EIO=4&transport=polling&meeting={meeting_id}&probe={marker}"
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.get(url, cookies=cookies) as resp,
    ):
        assert resp.status == 200, await resp.text()
        assert (await resp.text()).startswith("0{"), "not an Engine.IO open packet"
    for _ in range(50):
        servers = [s for s, _, uri in proxy.requests() if f"probe={marker}" in uri]
        if servers:
            return servers[0]
        await asyncio.sleep(0.02)
    raise AssertionError("request not in haproxy's log:\n" + proxy.log_text())


async def test_socketio_connections_naming_one_meeting_reach_one_node(proxy):
    meetings = [f"aff-{n:02d}-{os.urandom(3).hex()}" for n in range(24)]
    first = {m: await socketio_served_by(proxy, m) for m in meetings}
    # Meetings spread over the nodes (24 random ids all on one node: about 1 in 8 million).
    assert set(first.values()) == {"node1", "node2"}, first
    for m in meetings[:8]:
        # Again, and with the sticky cookie naming the other node (a page of this site set
        # it): the meeting's node still answers.
        other = "node2" if first[m] == "node1" else "node1"
        assert await socketio_served_by(proxy, m) == first[m]
        assert await socketio_served_by(proxy, m, {"SERVERID": other}) == first[m]


async def test_long_polling_session_stays_on_the_node_that_opened_it(proxy, bots):
    free = await bots()  # no cookie: the handshake's response sets one
    assert free.cookie in ("node1", "node2")
    other = "node2" if free.cookie == "node1" else "node1"
    pinned = await bots(other)
    for bot in (free, pinned):  # round trips: each a POST, and a poll that brings the answer
        for n in range(3):
            await bot.emit("join-meeting", f"not an object {n}")
            assert (await bot.expect("error", n + 1))["message"] == "Payload must be an object"
    assert free.cookie != pinned.cookie == other
    for bot in (free, pinned):
        servers = proxy.servers_of(bot.engineio_sid)
        assert len(servers) >= 4, proxy.log_text()
        assert set(servers) == {bot.cookie}, proxy.log_text()


async def test_a_dead_node_clients_are_sent_to_the_other(proxy, nodes):
    nodes[0].kill()
    # Until the health checks mark node1 down, "option redispatch" retries on node2.
    for _ in range(3):
        server, cookie = await served_by(proxy, {"SERVERID": "node1"})
        assert (server, cookie) == ("node2", "node2")


async def test_one_meeting_with_participants_on_both_nodes(proxy, nodes, bots, funded_user):
    user = await funded_user(proxy.url)
    async with aiohttp.ClientSession(base_url=proxy.url) as http:
        meeting = await create_meeting(http, user, title="Across nodes")
    meeting_id = meeting["meetingId"]

    alice = await bots("node1")
    bob = await bots("node2")
    carol = await bots()  # wherever round robin puts her
    assert {alice.cookie, bob.cookie} == {"node1", "node2"}
    assert set(proxy.servers_of(alice.engineio_sid)) == {"node1"}
    assert set(proxy.servers_of(bob.engineio_sid)) == {"node2"}

    everyone = {"Alice": alice, "Bob": bob, "Carol": carol}
    ids = {}
    for name, bot in everyone.items():
        host = {"adminToken": meeting["adminToken"]} if bot is alice else {}
        joined = await bot.join(meeting_id, name, **host)
        ids[name] = joined["participantId"]

    # Each learns of each other one exactly once: in its `joined` list or by participant:joined.
    await bob.expect("participant:joined", 1, timeout=5)  # Carol's arrival
    await alice.expect("participant:joined", 2, timeout=5)  # Bob's and Carol's
    await asyncio.sleep(0.3)  # time for a duplicate announcement to arrive
    for name, bot in everyone.items():
        listed = [p["participantId"] for p in bot.events["joined"][0]["participants"]]
        announced = [e["participantId"] for e in bot.events["participant:joined"]]
        others = sorted(pid for other, pid in ids.items() if other != name)
        assert sorted(listed + announced) == others, name

    await alice.emit("chat:message", {"text": "hello from node1"})
    await bob.emit("chat:message", {"text": "hello from node2"})
    for bot in everyone.values():
        await bot.expect("chat:message", 2, timeout=5)
        texts = sorted(m["text"] for m in bot.events["chat:message"])
        assert texts == ["hello from node1", "hello from node2"]

    await bob.emit("leave-meeting")
    left = await alice.expect("participant:left", 1, timeout=5)
    assert left["participantId"] == ids["Bob"]


async def test_sdk_bots_of_one_meeting_meet_on_its_node(proxy, funded_user):
    """The Python SDK's Bot names its meeting when it connects, so the proxy puts a
    meeting's bots on the node that meeting hashes to."""
    user = await funded_user(proxy.url)
    async with aiohttp.ClientSession(base_url=proxy.url) as http:
        meetings = [await create_meeting(http, user, title=f"Affinity {n}") for n in range(6)]
    bots: list[SdkBot] = []
    try:
        for meeting in meetings:
            for name in ("Ann", "Ben"):
                bot = SdkBot(proxy.url, name, reconnect=False)
                bots.append(bot)
                await bot.join(meeting["meetingId"])
    finally:
        await asyncio.gather(*(bot.leave() for bot in bots), return_exceptions=True)
    # HAProxy logs a websocket's request when its tunnel closes.
    for meeting in meetings:
        meeting_id = meeting["meetingId"]
        for _ in range(100):
            servers = [s for s, _, uri in proxy.requests() if f"meeting={meeting_id}" in uri]
            if len(servers) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(servers) == 2, proxy.log_text()  # one websocket per bot
        assert set(servers) == {await socketio_served_by(proxy, meeting_id)}
