"""Meeting templates (collaboration.md, Templates): create, list, get, delete; applied to
POST /api/meetings with the caller's explicit fields winning; owned by the account (and its
company); another account sees none of them (404); bad input is a 400 that says why."""

from __future__ import annotations

import re

import pytest

from onepizza.app import create_app

from .meeting_helpers import (
    API_ENV,
    DEFAULT_SETTINGS,
    assert_error,
    create_meeting,
    db_one,
    in_future,
    register,
)

TEMPLATE_KEYS = {"id", "name", "title", "settings", "createdAt"}
ISO = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


@pytest.fixture
async def api(serve, make_settings):
    return await serve(create_app(make_settings(API_ENV)))


@pytest.fixture
async def user(api, database_url):
    return await register(api, database_url, balance=10)


async def create_template(api, user, **body) -> dict:
    resp = await api.post("/api/templates", json=body, headers=user.headers)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_create_list_get_delete(api, user):
    created = await create_template(
        api,
        user,
        name="  Board meeting ",
        title="Board",
        settings={"muteOnJoin": True, "waitingRoom": True, "maxParticipants": 12},
    )
    assert set(created) == TEMPLATE_KEYS
    assert created["name"] == "Board meeting"
    assert created["title"] == "Board"
    assert created["settings"] == {"muteOnJoin": True, "waitingRoom": True, "maxParticipants": 12}

    assert re.match(ISO, created["createdAt"])
    bare = await create_template(api, user, name="Defaults", settings={})
    assert (bare["title"], bare["settings"]) == (None, {})

    resp = await api.get("/api/templates", headers=user.headers)
    assert resp.status == 200
    assert (await resp.json())["templates"] == [created, bare]
    resp = await api.get(f"/api/templates/{created['id']}", headers=user.headers)
    assert (resp.status, await resp.json()) == (200, created)

    resp = await api.delete(f"/api/templates/{created['id']}", headers=user.headers)
    assert resp.status == 200, await resp.text()
    await assert_error(await api.get(f"/api/templates/{created['id']}", headers=user.headers), 404)
    await assert_error(
        await api.delete(f"/api/templates/{created['id']}", headers=user.headers), 404
    )
    resp = await api.get("/api/templates", headers=user.headers)
    assert (await resp.json())["templates"] == [bare]


async def test_a_template_applies_to_a_new_meeting_and_explicit_fields_win(api, user):
    template = await create_template(
        api,
        user,
        name="Webinar",
        title="Weekly webinar",
        settings={
            "muteOnJoin": True,
            "videoOffOnJoin": True,
            "locked": True,
            "maxParticipants": 80,
        },
    )
    # Only the template: its title and settings over the defaults.
    body = await create_meeting(api, user, templateId=template["id"])
    assert body["title"] == "Weekly webinar"
    assert body["settings"] == {
        **DEFAULT_SETTINGS,
        "muteOnJoin": True,
        "videoOffOnJoin": True,
        "locked": True,
        "maxParticipants": 80,
    }
    # Explicit fields win, false and numbers included; the rest still come from the template.
    body = await create_meeting(
        api,
        user,
        templateId=template["id"],
        title="Special edition",
        muteOnJoin=False,
        maxParticipants=5,
        scheduledAt=in_future(3600),
    )
    assert body["title"] == "Special edition"
    assert body["status"] == "scheduled"
    assert body["settings"] == {
        **DEFAULT_SETTINGS,
        "muteOnJoin": False,
        "videoOffOnJoin": True,
        "locked": True,
        "maxParticipants": 5,
    }
    # A blank title is no title: the template's.
    assert (await create_meeting(api, user, templateId=template["id"], title="  "))[
        "title"
    ] == "Weekly webinar"
    # Without a template, nothing changed: the defaults.
    body = await create_meeting(api, user)
    assert (body["title"], body["settings"]) == ("Untitled Meeting", DEFAULT_SETTINGS)
    # A template without a title leaves the default one.
    bare = await create_template(api, user, name="Quiet", settings={"muteOnJoin": True})
    body = await create_meeting(api, user, templateId=bare["id"])
    assert body["title"] == "Untitled Meeting"
    assert body["settings"] == {**DEFAULT_SETTINGS, "muteOnJoin": True}


async def test_another_account_cannot_see_use_or_delete_a_template(api, user, database_url):
    template = await create_template(api, user, name="Mine", settings={"waitingRoom": True})
    other = await register(api, database_url, balance=10)
    path = f"/api/templates/{template['id']}"
    await assert_error(await api.get(path, headers=other.headers), 404)
    await assert_error(await api.delete(path, headers=other.headers), 404)
    resp = await api.get("/api/templates", headers=other.headers)
    assert (await resp.json())["templates"] == []
    resp = await api.post(
        "/api/meetings", json={"templateId": template["id"]}, headers=other.headers
    )
    body = await assert_error(resp, 404)
    assert body["error"] == "Template not found"
    (count,) = db_one(
        database_url, "SELECT count(*) FROM meetings WHERE owner_id = %s", (other.id,)
    )
    assert count == 0
    # Still there for its owner.
    assert (await api.get(path, headers=user.headers)).status == 200


async def test_a_company_shares_its_templates(api, database_url):
    owner = await register(api, database_url, accountType="company", companyName="Acme")
    template = await create_template(api, owner, name="All hands", settings={"locked": True})
    member = await register(api, database_url)  # logged in on `api` now
    resp = await api.post("/api/company/join", json={"inviteCode": owner.invite_code})
    assert resp.status == 200, await resp.text()
    resp = await api.get("/api/templates", headers=member.headers)
    assert [t["id"] for t in (await resp.json())["templates"]] == [template["id"]]
    body = await create_meeting(api, member, templateId=template["id"])
    assert body["settings"]["locked"] is True


async def test_the_session_works_as_the_key_does(api, user):
    """The dashboard's way: the session cookie (registering logged `api` in) and JSON."""
    resp = await api.post("/api/templates", json={"name": "From the dashboard", "settings": {}})
    assert resp.status == 201, await resp.text()
    resp = await api.get("/api/templates")
    assert [t["name"] for t in (await resp.json())["templates"]] == ["From the dashboard"]
    api.session.cookie_jar.clear()
    await assert_error(await api.get("/api/templates"), 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"settings": {}}, "name"),
        ({"name": "   ", "settings": {}}, "name"),
        ({"name": "x" * 101, "settings": {}}, "name"),
        ({"name": "T"}, "settings"),
        ({"name": "T", "settings": []}, "settings"),
        ({"name": "T", "settings": {"muteOnJoin": "yes"}}, "settings"),
        ({"name": "T", "settings": {"maxParticipants": 0}}, "settings"),
        ({"name": "T", "settings": {"maxParticipants": 101}}, "settings"),
        ({"name": "T", "settings": {"mute": True}}, "settings"),
        ({"name": "T", "title": "x" * 201, "settings": {}}, "title"),
        ({"name": 5, "settings": {}}, "name"),
    ],
)
async def test_bad_templates_are_refused(api, user, database_url, body, field):
    resp = await api.post("/api/templates", json=body, headers=user.headers)
    error = await assert_error(resp, 400)
    assert field in error["details"], error
    (count,) = db_one(
        database_url, "SELECT count(*) FROM meeting_templates WHERE owner_id = %s", (user.id,)
    )
    assert count == 0


@pytest.mark.parametrize("template_id", ["1", 0, -1, 1.5, True, 2**63])
async def test_a_bad_template_id_is_refused(api, user, template_id):
    resp = await api.post("/api/meetings", json={"templateId": template_id}, headers=user.headers)
    error = await assert_error(resp, 400)
    assert "templateId" in error["details"]


async def test_unknown_template_paths(api, user):
    for path in ("/api/templates/999999999", "/api/templates/abc", "/api/templates/0"):
        await assert_error(await api.get(path, headers=user.headers), 404)
    api.session.cookie_jar.clear()  # registering logged `api` in
    await assert_error(await api.get("/api/templates"), 401)
    await assert_error(await api.get("/api/templates", headers={"x-api-key": "mk_nope"}), 401)
