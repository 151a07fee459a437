"""`joined`'s polls and notes version read for many joins at once (services/joined_collab.py):
each join gets its own meeting's, and a burst shares a few reads."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from onepizza.db import create_pool, cursor
from onepizza.db import notes as notes_sql
from onepizza.db import polls as poll_sql
from onepizza.services.joined_collab import JoinedCollab


@pytest.fixture
async def pool(database_url):
    pool = await create_pool(database_url, maxsize=4)
    yield pool
    pool.close()
    await pool.wait_closed()


async def test_a_burst_of_joins_gets_each_meeting_its_own_polls_and_notes_in_few_reads(pool):
    meetings = [f"jc-{uuid.uuid4().hex[:8]}" for _ in range(4)]
    async with cursor(pool) as cur:
        for n, meeting_id in enumerate(meetings[:3]):  # the fourth has neither
            await poll_sql.insert(
                cur,
                meeting_id=meeting_id,
                question=f"Question {n}?",
                kind="yesno",
                options=["Yes", "No"],
                anonymous=False,
            )
            closed = await poll_sql.insert(
                cur,
                meeting_id=meeting_id,
                question="Closed?",
                kind="yesno",
                options=["Yes", "No"],
                anonymous=False,
            )
            await poll_sql.close(cur, meeting_id, closed["id"])
            for _ in range(n + 1):  # version n + 1
                await notes_sql.write(cur, meeting_id, f"pad {n}", "Ann", None)

    collab = JoinedCollab(pool)
    reads = 0
    real_read = collab._read

    async def counted(ids):
        nonlocal reads
        reads += 1
        return await real_read(ids)

    collab._read = counted
    asked = [meetings[i % 4] for i in range(40)]
    answers = await asyncio.gather(*(collab.fields(m) for m in asked))
    for meeting_id, answer in zip(asked, answers, strict=True):
        n = meetings.index(meeting_id)
        if n == 3:
            assert answer == {"polls": [], "notesVersion": 0}
        else:
            assert [p["question"] for p in answer["polls"]] == [f"Question {n}?"]
            assert answer["polls"][0]["results"] == [0, 0]
            assert answer["notesVersion"] == n + 1
    assert reads <= 2  # forty joins of four meetings: one read (two if one started early)
