"""The Socket.IO server attached at /socket.io/, reached by real clients over TCP."""

import aiohttp
import orjson
import pytest
import socketio

from onepizza.app import create_app


@pytest.fixture
async def server(aiohttp_server, settings):
    return await aiohttp_server(create_app(settings))


async def test_client_connects_over_websocket(server):
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(str(server.make_url("/")), transports=["websocket"])
    try:
        assert client.connected
        assert client.sid
    finally:
        await client.disconnect()


async def test_polling_handshake(server):
    # (python-socketio's own client holds its long-poll open for ~30 s on disconnect,
    # so the polling transport is checked at the protocol level.)
    async with aiohttp.ClientSession() as http:
        url = server.make_url("/socket.io/").with_query(EIO="4", transport="polling")
        async with http.get(url) as resp:
            assert resp.status == 200
            body = await resp.text()
    assert body.startswith("0")
    handshake = orjson.loads(body[1:])
    assert handshake["sid"] and "websocket" in handshake["upgrades"]
    assert handshake["pingInterval"] == 25000


async def test_foreign_origin_is_refused(server):
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            str(server.make_url("/")),
            transports=["polling"],
            headers={"Origin": "https://evil.example"},
        )


async def test_allowed_origin_is_accepted(server):
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        str(server.make_url("/")),
        transports=["websocket"],
        headers={"Origin": "http://localhost:3000"},
    )
    assert client.connected
    await client.disconnect()


async def test_own_origin_is_accepted_whatever_the_host_name(server):
    # The page was served by this very server (say as http://127.0.0.1:PORT), though that
    # origin is not in ALLOWED_ORIGINS.
    client = socketio.AsyncClient(reconnection=False)
    own = f"http://{server.host}:{server.port}"
    await client.connect(
        str(server.make_url("/")), transports=["websocket"], headers={"Origin": own}
    )
    assert client.connected
    await client.disconnect()


async def handshake_extensions(server) -> tuple[str | None, int]:
    """A browser-like websocket handshake offering permessage-deflate: the answer's
    Sec-WebSocket-Extensions, and the compression the connection then uses."""
    url = server.make_url("/socket.io/").with_query(EIO="4", transport="websocket")
    async with aiohttp.ClientSession() as http, http.ws_connect(url, compress=15) as ws:
        first = await ws.receive_str()
        assert first.startswith("0")  # engine.io's open packet: the socket works
        return ws._response.headers.get("Sec-WebSocket-Extensions"), ws.compress


async def test_websocket_compression_is_off_by_default(server):
    assert await handshake_extensions(server) == (None, 0)


async def test_websocket_compression_can_be_turned_on(aiohttp_server, make_settings):
    server = await aiohttp_server(create_app(make_settings({"WEBSOCKET_COMPRESSION": "1"})))
    extensions, compress = await handshake_extensions(server)
    assert extensions.startswith("permessage-deflate") and compress == 15
