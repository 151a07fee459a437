"""Breakout rooms across two `onepizza serve` processes on one Redis: a room's members on
both processes hear each other's chat, reactions and signals; the main room and the other
room hear none of it; signals across rooms are refused whichever process each side is on;
after close everyone is one room again."""

from __future__ import annotations

import asyncio

from tests.client.heard import until
from tests.cluster.test_two_processes import bounded, deployments, new_meeting, peers  # noqa: F401

ISOLATED = ("chat:message", "react", "captions:update", "participant:updated", "signal:offer")


async def error_after(peer, event: str, data) -> str:
    mark = len(peer.events)
    await peer.emit(event, data)
    return (await peer.next("error", after=mark))["message"]


@bounded(90)
async def test_rooms_stay_apart_across_processes(deployments, peers, funded_user):  # noqa: F811
    node1, node2 = await deployments.redis()
    user = await funded_user(node1)
    meeting = await new_meeting(node1, user)
    mid = meeting["meetingId"]
    host = await peers(node1, "Hal")
    ann = await peers(node1, "Ann")  # room A, with Bob on the other process
    bob = await peers(node2, "Bob")
    carl = await peers(node2, "Carl")  # room B, on Bob's process
    dee = await peers(node1, "Dee")  # the main room, on Ann's process
    await host.join(mid, adminToken=meeting["adminToken"])
    for peer in (ann, bob, carl, dee):
        await peer.join(mid)
    await until(lambda: len(host.of("participant:joined")) == 4, "the host hears of all four")

    await host.emit("breakout:create", {"rooms": ["A", "B"]})
    a, b = (r["id"] for r in (await host.next("breakout:created"))["rooms"])
    pairs = [
        {"participantId": ann.participant_id, "roomId": a},
        {"participantId": bob.participant_id, "roomId": a},
        {"participantId": carl.participant_id, "roomId": b},
    ]
    await host.emit("breakout:assign", {"assignments": pairs})
    for peer, room in ((ann, a), (bob, a), (carl, b)):
        assert (await peer.next("breakout:assigned"))["roomId"] == room
        await peer.emit("breakout:join", {"roomId": room})
        joined = await peer.next("breakout:participant-joined")
        assert joined == {"participantId": peer.participant_id, "roomId": room}
    await until(
        lambda: (
            bob.participant_id
            in {e["participantId"] for e in ann.of("breakout:participant-joined")}
        ),
        "Ann (node1) hears Bob (node2) joined room A",
    )
    marks = {peer.name: len(peer.events) for peer in (host, ann, bob, carl, dee)}

    # Ann (node1) to Bob (node2), in room A: everything reaches Bob
    await ann.emit("chat:message", {"text": "room A across processes"})
    await ann.emit("react", {"emoji": "🎉"})
    await ann.emit("captions:update", {"pid": "x", "text": "room A caption", "final": True})
    await ann.emit("media:toggle-audio", {"isMuted": True})
    await ann.emit("signal:offer", {"to": bob.participant_id, "offer": {"sdp": "room A"}})
    for event in ISOLATED:
        await bob.next(event, after=marks["Bob"])
    assert (await bob.next("signal:offer", after=marks["Bob"]))["from"] == ann.participant_id
    # Bob (node2) answers Ann (node1)
    await bob.emit("signal:answer", {"to": ann.participant_id, "answer": {"sdp": "back"}})
    assert (await ann.next("signal:answer", after=marks["Ann"]))["from"] == bob.participant_id

    # across rooms, whichever process: refused
    refused = "That participant is in another room"
    assert (
        await error_after(dee, "signal:offer", {"to": ann.participant_id, "offer": {}}) == refused
    )
    assert (
        await error_after(dee, "signal:offer", {"to": bob.participant_id, "offer": {}}) == refused
    )
    assert (
        await error_after(carl, "signal:offer", {"to": bob.participant_id, "offer": {}}) == refused
    )
    assert (
        await error_after(ann, "signal:offer", {"to": dee.participant_id, "offer": {}}) == refused
    )

    # the main room's chat (Dee, node1) stays in the main room (the host, on node1)
    await dee.emit("chat:message", {"text": "main room"})
    assert (await host.next("chat:message", after=marks["Hal"]))["text"] == "main room"
    await asyncio.sleep(0.5)  # time for a stray event to arrive
    for peer in (host, carl, dee):
        heard = [(n, d) for n, d in peer.events[marks[peer.name] :] if n in ISOLATED]
        assert [h for h in heard if "room A" in str(h) or h[0] != "chat:message"] == [], heard
    for peer in (ann, bob, carl):
        texts = [d["text"] for n, d in peer.events[marks[peer.name] :] if n == "chat:message"]
        assert "main room" not in texts

    # close: everyone in one room again, signals pass between the processes
    await host.emit("breakout:close")
    for peer in (host, ann, bob, carl, dee):
        await peer.next("breakout:all-closed")
    await dee.emit("signal:offer", {"to": bob.participant_id, "offer": {"sdp": "together"}})
    await until(
        lambda: any(d["offer"] == {"sdp": "together"} for d in bob.of("signal:offer")),
        "Bob (node2) gets Dee's (node1) offer after close",
    )
    await carl.emit("chat:message", {"text": "all of us"})
    for peer in (host, ann, bob, dee):
        await until(
            lambda peer=peer: "all of us" in [d["text"] for d in peer.of("chat:message")],
            f"{peer.name} hears Carl after close",
        )
