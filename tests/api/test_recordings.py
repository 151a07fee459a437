"""§20 recordings: streamed uploads under a limit, byte-identical downloads with Range."""

from __future__ import annotations

import os
from uuid import uuid4

import aiohttp
import psycopg2
import pytest

from onepizza.app import create_app

MB = 1024 * 1024


@pytest.fixture
async def setup(serve, make_settings, database_url, tmp_path):
    directory = tmp_path / "recordings"
    settings = make_settings(
        {"RATE_LIMIT_API": "1000/minute", "RECORDING_MAX_BYTES": str(4 * MB)},
        recordings_dir=directory,
    )
    client = await serve(create_app(settings))

    async def account():
        email = f"rec-{uuid4().hex[:10]}@example.com"
        resp = await client.post(
            "/api/auth/register", json={"email": email, "password": "a good password"}
        )
        key = (await resp.json())["apiKey"]
        with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET balance = 10 WHERE email = %s", (email,))
        return {"x-api-key": key}

    owner = await account()
    resp = await client.post("/api/meetings", json={}, headers=owner)
    meeting_id = (await resp.json())["meetingId"]
    return client, owner, account, meeting_id, directory


def form(
    data: bytes, *, content_type="video/webm", filename="meeting-recording.webm", field="recording"
):
    body = aiohttp.FormData()
    body.add_field(field, data, filename=filename, content_type=content_type)
    return body


async def test_upload_list_download_and_range(setup):
    client, owner, _, meeting_id, directory = setup
    data = os.urandom(3 * MB + 123)
    resp = await client.post(
        f"/api/meetings/{meeting_id}/recordings", data=form(data), headers=owner
    )
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert set(created) == {"id", "filename", "size_bytes", "created_at"}
    assert created["filename"] == "meeting-recording.webm"
    assert created["size_bytes"] == len(data)

    resp = await client.get(f"/api/meetings/{meeting_id}/recordings", headers=owner)
    assert (await resp.json())["recordings"] == [created]

    resp = await client.get(f"/api/recordings/{created['id']}/download", headers=owner)
    assert resp.status == 200
    assert resp.headers["Content-Disposition"] == 'attachment; filename="meeting-recording.webm"'
    assert await resp.read() == data

    headers = {**owner, "Range": "bytes=1000-1999"}
    resp = await client.get(f"/api/recordings/{created['id']}/download", headers=headers)
    assert resp.status == 206
    assert await resp.read() == data[1000:2000]
    assert len(list(directory.iterdir())) == 1


async def test_over_the_limit_is_413_and_leaves_no_file(setup):
    client, owner, _, meeting_id, directory = setup
    resp = await client.post(
        f"/api/meetings/{meeting_id}/recordings", data=form(os.urandom(5 * MB)), headers=owner
    )
    assert resp.status == 413
    assert "error" in await resp.json()
    assert not directory.exists() or list(directory.iterdir()) == []
    resp = await client.get(f"/api/meetings/{meeting_id}/recordings", headers=owner)
    assert (await resp.json())["recordings"] == []


async def test_only_video_and_audio(setup):
    client, owner, _, meeting_id, directory = setup
    resp = await client.post(
        f"/api/meetings/{meeting_id}/recordings",
        data=form(b"hello", content_type="text/plain"),
        headers=owner,
    )
    assert resp.status == 415
    assert not directory.exists() or list(directory.iterdir()) == []
    resp = await client.post(
        f"/api/meetings/{meeting_id}/recordings",
        data=form(b"\x00" * 100, content_type="audio/ogg"),
        headers=owner,
    )
    assert resp.status == 201


async def test_bad_requests(setup):
    client, owner, _, meeting_id, _ = setup
    resp = await client.post(
        f"/api/meetings/{meeting_id}/recordings", data=form(b"x", field="file"), headers=owner
    )
    assert resp.status == 400
    resp = await client.post(f"/api/meetings/{meeting_id}/recordings", json={"a": 1}, headers=owner)
    assert resp.status == 400
    client.session.cookie_jar.clear()  # registering logged the client in
    resp = await client.post(f"/api/meetings/{meeting_id}/recordings", data=form(b"x"))
    assert resp.status == 401
    resp = await client.post(
        "/api/meetings/zzz-zzzz-zzz/recordings", data=form(b"x"), headers=owner
    )
    assert resp.status == 404


async def test_other_accounts_see_nothing(setup):
    client, owner, account, meeting_id, directory = setup
    resp = await client.post(
        f"/api/meetings/{meeting_id}/recordings", data=form(b"\x01" * 1000), headers=owner
    )
    recording_id = (await resp.json())["id"]
    stranger = await account()
    for method, path in (
        ("GET", f"/api/meetings/{meeting_id}/recordings"),
        ("GET", f"/api/recordings/{recording_id}/download"),
        ("DELETE", f"/api/recordings/{recording_id}"),
    ):
        resp = await client.request(method, path, headers=stranger)
        assert resp.status == 404, (method, path)
    resp = await client.post(
        f"/api/meetings/{meeting_id}/recordings", data=form(b"\x01" * 10), headers=stranger
    )
    assert resp.status == 404
    assert len(list(directory.iterdir())) == 1


async def test_delete_removes_file_and_row(setup):
    client, owner, _, meeting_id, directory = setup
    resp = await client.post(
        f"/api/meetings/{meeting_id}/recordings", data=form(b"\x02" * 2000), headers=owner
    )
    recording_id = (await resp.json())["id"]
    resp = await client.delete(f"/api/recordings/{recording_id}", headers=owner)
    assert resp.status == 200
    assert list(directory.iterdir()) == []
    resp = await client.get(f"/api/recordings/{recording_id}/download", headers=owner)
    assert resp.status == 404
