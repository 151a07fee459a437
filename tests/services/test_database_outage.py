"""A database that goes away around a meeting's end: nothing is lost, nothing is charged
twice. The app reaches the real database through a TCP proxy that the test cuts and
restores, as a network partition or a database restart would."""

from __future__ import annotations

import asyncio
import contextlib
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg2
import pytest

from onepizza.app import create_app
from onepizza.services.meetings import JoinRefused
from onepizza.services.registry import MEETINGS
from tests.api.meeting_helpers import API_ENV, charges, create_meeting, db_rows, register
from tests.conftest import free_port


class Partition:
    """A TCP proxy to the database that can be cut (every connection dropped, new ones
    refused) and restored."""

    def __init__(self, database_url: str):
        parts = urlsplit(database_url)
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        port = parts.port or 5432
        self._target = (host, port)
        self.port = free_port()
        netloc = f"{parts.username or 'postgres'}@127.0.0.1:{self.port}"
        self.url = urlunsplit(parts._replace(netloc=netloc, query=""))
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def _open_target(self):
        host, port = self._target
        if host.startswith("/"):
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    async def _handle(self, reader, writer):
        try:
            target_reader, target_writer = await self._open_target()
        except OSError:
            writer.close()
            return
        self._pipes.update((writer, target_writer))

        async def pump(src, dst):
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, target_writer), pump(target_reader, writer))
        self._pipes.difference_update((writer, target_writer))

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def cut(self) -> None:
        self._server.close()
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()
        await self._server.wait_closed()


def meeting_state(database_url: str, meeting_id: str):
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT status, peak_participants, duration_minutes FROM meetings WHERE id = %s",
            (meeting_id,),
        )
        return cur.fetchone()


@pytest.fixture
async def partition(database_url):
    proxy = Partition(database_url)
    await proxy.restore()
    yield proxy
    with contextlib.suppress(Exception):
        await proxy.cut()


async def test_an_end_during_an_outage_happens_once_the_database_is_back(
    aiohttp_client, make_settings, database_url, partition
):
    settings = make_settings({**API_ENV, "MEETING_GRACE_SECONDS": "1"}, database_url=partition.url)
    client = await aiohttp_client(create_app(settings))
    app = client.app
    user = await register(client, database_url, balance=10)
    meeting_id = (await create_meeting(client, user))["meetingId"]
    service = app[MEETINGS]
    await service.join(meeting_id, sid="s1", name="A", admin_token=None, invite_token=None)
    await service.join(meeting_id, sid="s2", name="B", admin_token=None, invite_token=None)
    db_rows(  # as if it had run for ten minutes
        database_url,
        "UPDATE meetings SET started_at = started_at - interval '10 minutes' WHERE id = %s",
        (meeting_id,),
    )
    db_rows(
        database_url,
        "UPDATE attendance SET joined_at = joined_at - interval '10 minutes' WHERE meeting_id = %s",
        (meeting_id,),
    )
    await service.leave("s1")
    await partition.cut()
    await service.leave("s2")  # written once the database is back
    await asyncio.sleep(2.5)  # the grace period passes with the database away

    assert meeting_state(database_url, meeting_id)[0] == "active"
    assert charges(database_url, meeting_id) == []
    with pytest.raises(JoinRefused, match="ended"):  # ending: nobody gets back in
        await service.join(meeting_id, sid="s3", name="C", admin_token=None, invite_token=None)

    await partition.restore()
    deadline = time.monotonic() + 15
    while meeting_state(database_url, meeting_id)[0] != "ended" and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    status, peak, minutes = meeting_state(database_url, meeting_id)
    assert (status, peak) == ("ended", 2)
    assert 10 <= minutes < 10.2  # until B left, not until the database came back
    [charge] = charges(database_url, meeting_id)
    assert charge[2] == -(minutes * 2 * Decimal("0.004")).quantize(Decimal("0.0001"))
