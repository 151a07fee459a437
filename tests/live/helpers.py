"""Helpers shared by the LiveState tests: meetings, participants and joins."""

from __future__ import annotations

import secrets

from onepizza.live.state import DEFAULT_SETTINGS, JoinRequest, LiveMeeting, Participant

ADMIN_HASH = bytes(range(32))


def new_meeting(meeting_id: str | None = None, **settings) -> LiveMeeting:
    return LiveMeeting(
        meeting_id=meeting_id or "m" + secrets.token_hex(5),
        title="Pizza standup",
        admin_token_hash=ADMIN_HASH,
        owner_id=7,
        company_id=3,
        settings={**DEFAULT_SETTINGS, **settings},
    )


async def live_meeting(store, **settings) -> str:
    meeting = new_meeting(**settings)
    assert await store.add_meeting(meeting) is True
    return meeting.meeting_id


def person(name: str = "Ann", *, node: str = "node-a", resume: str = "") -> Participant:
    return Participant(
        participant_id="p" + secrets.token_hex(4),
        sid="s" + secrets.token_hex(8),
        name=name,
        is_admin=False,
        node=node,
        resume_hash=resume,
    )


async def join(
    store,
    meeting_id,
    who: Participant | None = None,
    *,
    is_admin=False,
    invite: bytes | None = None,
    resume: str | None = None,
    admit_sid: str | None = None,
):
    request = JoinRequest(participant=who or person(), invite_hash=invite, resume_hash=resume)
    return await store.join(meeting_id, request, is_admin=is_admin, admit_sid=admit_sid)


async def joined(store, meeting_id, who: Participant | None = None, **kwargs) -> Participant:
    outcome = await join(store, meeting_id, who, **kwargs)
    assert outcome.refused is None, outcome.refused
    return outcome.participant


def pids(meeting: LiveMeeting) -> set[str]:
    return set(meeting.participants)
