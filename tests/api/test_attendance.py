"""The attendance report (collaboration.md): one row per stay from the rows written at every
join and leave, durations, during and after the meeting, as JSON and CSV."""

from __future__ import annotations

import csv
import io

import aiohttp

from tests.api import collab_helpers
from tests.api.collab_helpers import until
from tests.api.meeting_helpers import assert_error, db_rows

KEYS = {"participantId", "name", "isAdmin", "joinedAt", "leftAt", "durationSeconds"}

room = collab_helpers.room  # the fixture


async def report(room, query: str = "", headers=None):
    resp = await room.http.get(
        room.path("attendance" + query), headers=headers or room.owner.headers
    )
    assert resp.status == 200, await resp.text()
    return resp


def shift_stays(database_url: str, meeting_id: str) -> None:
    """Give the stays lengths a test can see: each row moved back by its order (so the
    first stay began 4 minutes ago), leaves kept after joins."""
    db_rows(
        database_url,
        """
        UPDATE attendance a SET joined_at = a.joined_at - interval '4 minutes',
                                left_at = a.left_at - interval '3 minutes'
        WHERE a.meeting_id = %s AND a.left_at IS NOT NULL
        """,
        (meeting_id,),
    )


async def test_a_participant_who_left_and_came_back_has_two_stays(room, database_url):
    host, _, host_joined = await room.bot("Hana", host=True)
    ann, _, first = await room.bot("Ann")
    await ann.leave()

    async def first_stay_closed():
        body = await (await report(room)).json()
        return [a for a in body["attendees"] if a["name"] == "Ann" and a["leftAt"]]

    await until(first_stay_closed)
    shift_stays(database_url, room.id)
    again, _, second = await room.bot("Ann")  # back: a new participant, a new stay

    async def both_stays():  # a join's row is written just after its `joined`
        body = await (await report(room)).json()
        return body if len([a for a in body["attendees"] if a["name"] == "Ann"]) == 2 else None

    body = await until(both_stays)
    assert body["meetingId"] == room.id and body["title"] == "Team sync"
    assert body["startedAt"] and body["endedAt"] is None and body["peakParticipants"] == 2
    rows = body["attendees"]
    assert all(set(row) == KEYS for row in rows)
    anns = [row for row in rows if row["name"] == "Ann"]
    assert [row["participantId"] for row in anns] == [
        first["participantId"],
        second["participantId"],
    ]
    assert anns[0]["leftAt"] is not None and anns[1]["leftAt"] is None
    assert anns[0]["durationSeconds"] == 60  # joined 4 minutes back, left 3 minutes back
    [hana] = [row for row in rows if row["name"] == "Hana"]
    assert hana["isAdmin"] is True and hana["participantId"] == host_joined["participantId"]
    assert anns[0]["isAdmin"] is False

    await again.leave()
    await host.leave()
    resp = await room.http.delete(f"/api/meetings/{room.id}", headers=room.owner.admin(room.token))
    assert resp.status == 200, await resp.text()

    async def all_left():
        body = await (await report(room, headers={"x-admin-token": room.token})).json()
        return body if all(row["leftAt"] for row in body["attendees"]) else None

    after = await until(all_left)
    assert after["endedAt"] is not None
    anns = [row for row in after["attendees"] if row["name"] == "Ann"]
    total = sum(row["durationSeconds"] for row in anns)
    (stayed,) = db_rows(
        database_url,
        """
        SELECT sum(round(extract(epoch FROM left_at - joined_at)))::int FROM attendance
        WHERE meeting_id = %s AND name = 'Ann'
        """,
        (room.id,),
    )[0]
    assert total == stayed and total >= 60

    resp = await report(room, "?format=csv")
    assert resp.content_type == "text/csv"
    assert f"attendance-{room.id}.csv" in resp.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(await resp.text())))
    assert [row["participantId"] for row in table] == [
        row["participantId"] for row in after["attendees"]
    ]
    assert table[0].keys() == KEYS
    assert [int(row["durationSeconds"]) for row in table] == [
        row["durationSeconds"] for row in after["attendees"]
    ]
    assert {row["isAdmin"] for row in table} == {"true", "false"}


async def test_who_may_read_attendance_and_bad_formats(room, database_url):
    await assert_error(
        await room.http.get(room.path("attendance?format=xml"), headers=room.owner.headers), 400
    )
    async with aiohttp.ClientSession(room.url) as anonymous:
        await assert_error(await anonymous.get(room.path("attendance")), 401)
        wrong = {"x-admin-token": "nope"}
        await assert_error(await anonymous.get(room.path("attendance"), headers=wrong), 403)
    body = await (await report(room)).json()
    assert body["attendees"] == []
    resp = await room.http.post("/api/meetings/guest", json={"title": "Guests"})
    guest = await resp.json()
    resp = await room.http.get(
        f"/api/meetings/{guest['meetingId']}/attendance",
        headers={"x-admin-token": guest["adminToken"]},
    )
    assert (await assert_error(resp, 404))["error"] == "Guest meetings keep no attendance"


async def test_a_name_that_looks_like_a_formula_is_plain_text_in_the_csv(room):
    await room.bot("=HYPERLINK(1)")

    async def listed():  # a join's row is written just after its `joined`
        text = await (await report(room, "?format=csv")).text()
        return text if "HYPERLINK" in text else None

    text = await until(listed)
    assert "'=HYPERLINK(1)" in text
