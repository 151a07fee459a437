"""§15 USDC deposits: per-account addresses derived from the mnemonic, and the watcher that
credits Transfers of a real ERC-20 on a local chain (eth-tester on py-evm), read over HTTP
JSON-RPC, once they are deep enough, exactly once, across restarts and RPC failures."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from eth_tester import EthereumTester
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from onepizza.app import create_app
from onepizza.config import ConfigError, Settings
from onepizza.services.payments.usdc import derive_address
from tests.conftest import site_headers

from .meeting_helpers import API_ENV, assert_error, db_one, db_rows, register

# The well-known development mnemonic (Hardhat's and Foundry's); for tests only.
# These tests count balances and ledgers from zero: new accounts get no welcome credit here.
pytestmark = pytest.mark.usefixtures("no_welcome_credit")

MNEMONIC = "test test test test test test test test test test test junk"
CONFIRMATIONS = 3
ARTIFACT = Path(__file__).resolve().parents[1] / "chain" / "TestUSDC.json"
USDC = 10**6  # units per dollar
WAIT = 20.0  # seconds a test waits for the watcher before failing


def json_rpc(value):
    """A result as JSON-RPC encodes it: quantities and bytes as 0x-hex."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {key: json_rpc(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_rpc(item) for item in value]
    raise TypeError(f"cannot encode {type(value).__name__}")


class LocalChain:
    """An eth-tester chain with TestUSDC deployed, served over HTTP JSON-RPC, and a web3
    client on it for the test's own transactions (its first account holds every token)."""

    def __init__(self):
        self.tester = EthereumTester()
        self.w3 = Web3(EthereumTesterProvider(self.tester))
        raw = Web3(EthereumTesterProvider(self.tester), middleware=[])
        self._request = raw.provider.request_func(raw, raw.middleware_onion)
        self.failures_left = 0  # answer this many requests with HTTP 503 first
        self.log_ranges: list[tuple[int, int]] = []  # eth_getLogs block ranges asked for
        self.sender = self.w3.eth.accounts[0]
        artifact = json.loads(ARTIFACT.read_text())
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        tx = factory.constructor(1_000_000 * USDC).transact({"from": self.sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        self.token = self.w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])

    @property
    def head(self) -> int:
        return self.w3.eth.block_number

    def send(self, to: str, dollars: str) -> tuple[str, int]:
        """Transfer USDC to `to` (mined at once, in a block of its own); its hash and block."""
        units = int(Decimal(dollars) * USDC)
        tx = self.token.functions.transfer(to, units).transact({"from": self.sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt.status == 1
        return "0x" + bytes(tx).hex(), receipt.blockNumber

    def mine(self, blocks: int) -> None:
        self.tester.mine_blocks(blocks)

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures_left > 0:
            self.failures_left -= 1
            return web.json_response({"error": "overloaded"}, status=503)
        body = await request.json()
        if body["method"] == "eth_getLogs":
            query = body["params"][0]
            self.log_ranges.append((int(query["fromBlock"], 16), int(query["toBlock"], 16)))
        response = self._request(body["method"], body.get("params", []))
        answer = {"jsonrpc": "2.0", "id": body.get("id")}
        if "error" in response:
            answer["error"] = response["error"]
        else:
            answer["result"] = json_rpc(response["result"])
        return web.json_response(answer)


@pytest.fixture
async def chain(aiohttp_server, database_url):
    """A fresh chain on 127.0.0.1 (chain.url). Each test's chain repeats the same chain id
    and contract address, so the scan position a previous test left is forgotten."""
    db_rows(database_url, "DELETE FROM usdc_chain_cursor")
    local = LocalChain()
    app = web.Application()
    app.router.add_post("/rpc/{key}", local.handle)
    server = await aiohttp_server(app)
    local.url = str(server.make_url("/rpc/secret-provider-key"))
    return local


def watcher_env(chain: LocalChain, **extra) -> dict[str, str]:
    return {
        **API_ENV,
        "CRYPTO_MNEMONIC": MNEMONIC,
        "ETH_RPC_URL": chain.url,
        "USDC_CONTRACT": chain.token.address,
        "ETH_CONFIRMATIONS": str(CONFIRMATIONS),
        "USDC_POLL_INTERVAL": "0.05",
        **extra,
    }


@pytest.fixture
async def usdc_client(serve, make_settings):
    """A client of an app with a mnemonic and no chain to watch."""
    return await serve(create_app(make_settings({**API_ENV, "CRYPTO_MNEMONIC": MNEMONIC})))


async def deposit_address(client) -> str:
    resp = await client.get("/api/billing/usdc/address")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert set(body) == {"address"}
    return body["address"]


def scanned(database_url) -> int | None:
    rows = db_rows(database_url, "SELECT max(last_block) FROM usdc_chain_cursor")
    return rows[0][0]


async def wait_until_scanned(database_url, block: int) -> None:
    """Until the watcher has scanned `block` (its deposits are committed by then)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while (scanned(database_url) or -1) < block:
        assert loop.time() < deadline, f"not scanned to {block}: at {scanned(database_url)}"
        await asyncio.sleep(0.05)


def deposits(database_url, address: str) -> list[tuple]:
    return db_rows(
        database_url,
        "SELECT tx_hash, amount_units, amount_usd, credited, note FROM usdc_deposits "
        "WHERE address = %s ORDER BY id",
        (address,),
    )


def usdc_ledger(database_url, user_id: int) -> list[tuple]:
    return db_rows(
        database_url,
        "SELECT amount_usd, description FROM credit_transactions "
        "WHERE user_id = %s AND type = 'usdc_deposit' ORDER BY id",
        (user_id,),
    )


def balance(database_url, user_id: int) -> Decimal:
    return db_one(database_url, "SELECT balance FROM users WHERE id = %s", (user_id,))[0]


# --- GET /api/billing/usdc/address ----------------------------------------------------------


async def test_an_account_keeps_its_address_and_others_get_their_own(
    usdc_client, aiohttp_client, database_url
):
    user = await register(usdc_client, database_url)
    first = await deposit_address(usdc_client)
    assert Web3.is_checksum_address(first)
    assert await deposit_address(usdc_client) == first

    (index,) = db_one(
        database_url,
        "SELECT derivation_index FROM deposit_addresses WHERE user_id = %s",
        (user.id,),
    )
    assert derive_address(MNEMONIC, index) == first  # m/44'/60'/0'/0/<index>

    other = await aiohttp_client(usdc_client.server, headers=site_headers(usdc_client.server.app))
    await register(other, database_url)
    second = await deposit_address(other)
    assert second != first
    assert await deposit_address(usdc_client) == first


async def test_concurrent_first_requests_agree_on_one_address(usdc_client, database_url):
    user = await register(usdc_client, database_url)
    addresses = await asyncio.gather(*(deposit_address(usdc_client) for _ in range(5)))
    assert len(set(addresses)) == 1
    (count,) = db_one(
        database_url, "SELECT count(*) FROM deposit_addresses WHERE user_id = %s", (user.id,)
    )
    assert count == 1


async def test_a_company_member_gets_the_company_address(usdc_client, aiohttp_client, database_url):
    owner = await register(usdc_client, database_url, accountType="company", companyName="Acme")
    company_address = await deposit_address(usdc_client)

    member_client = await aiohttp_client(
        usdc_client.server, headers=site_headers(usdc_client.server.app)
    )
    await register(member_client, database_url)
    personal = await deposit_address(member_client)
    resp = await member_client.post("/api/company/join", json={"inviteCode": owner.invite_code})
    assert resp.status == 200, await resp.text()
    assert await deposit_address(member_client) == company_address != personal
    (company_id,) = db_one(
        database_url,
        "SELECT company_id FROM deposit_addresses WHERE address = %s",
        (company_address,),
    )
    assert company_id == owner.company_id


async def test_without_a_mnemonic_it_is_503(client, database_url):
    await register(client, database_url)
    body = await assert_error(await client.get("/api/billing/usdc/address"), 503)
    assert "USDC" in body["error"]


async def test_the_address_needs_a_session(usdc_client, database_url):
    await assert_error(await usdc_client.get("/api/billing/usdc/address"), 401)
    user = await register(usdc_client, database_url)
    await usdc_client.post("/api/auth/logout")
    resp = await usdc_client.get("/api/billing/usdc/address", headers=user.headers)
    await assert_error(resp, 401)


# --- the deposit watcher ----------------------------------------------------------------------


async def test_a_deposit_is_credited_once_after_the_confirmations_and_after_restarts(
    serve, make_settings, chain, database_url
):
    settings = make_settings(watcher_env(chain))
    api = await serve(create_app(settings))
    user = await register(api, database_url)
    address = await deposit_address(api)

    tx_hash, block = chain.send(address, "12.5")
    chain.mine(CONFIRMATIONS - 1)  # one block short of settled
    await wait_until_scanned(database_url, block - 1)
    await asyncio.sleep(0.3)  # several more rounds
    assert scanned(database_url) == block - 1
    assert deposits(database_url, address) == []
    assert balance(database_url, user.id) == 0

    chain.mine(1)
    await wait_until_scanned(database_url, block)
    assert deposits(database_url, address) == [
        (tx_hash, 12_500_000, Decimal("12.5000"), True, None)
    ]
    assert usdc_ledger(database_url, user.id) == [
        (Decimal("12.5000"), f"USDC deposit $12.50 ({tx_hash[:10]}…)")
    ]
    history = await (await api.get("/api/billing/history")).json()
    assert history["balance"] == "12.5000"
    assert [(t["type"], t["amount_usd"]) for t in history["transactions"]] == [
        ("usdc_deposit", "12.5000")
    ]

    # While the server is down, another deposit is made; a new app on the same database
    # resumes from the block it had scanned: it finds the new one and not the old again.
    await api.close()
    while_down, _ = chain.send(address, "20")
    chain.mine(CONFIRMATIONS + 5)
    api = await serve(create_app(settings))
    await wait_until_scanned(database_url, chain.head - CONFIRMATIONS)
    assert [row[0] for row in deposits(database_url, address)] == [tx_hash, while_down]
    assert balance(database_url, user.id) == Decimal("32.5")
    assert len(usdc_ledger(database_url, user.id)) == 2
    await api.close()

    # Even a rescan from the first block credits nothing twice.
    db_rows(database_url, "DELETE FROM usdc_chain_cursor")
    api = await serve(create_app(make_settings(watcher_env(chain, ETH_START_BLOCK="0"))))
    await wait_until_scanned(database_url, chain.head - CONFIRMATIONS)
    assert balance(database_url, user.id) == Decimal("32.5")
    assert len(deposits(database_url, address)) == 2
    assert len(usdc_ledger(database_url, user.id)) == 2


async def test_a_deposit_under_five_dollars_is_recorded_not_credited(
    serve, make_settings, chain, database_url
):
    api = await serve(create_app(make_settings(watcher_env(chain))))
    user = await register(api, database_url)
    address = await deposit_address(api)

    small, block = chain.send(address, "4")
    chain.mine(CONFIRMATIONS)
    await wait_until_scanned(database_url, block)
    assert deposits(database_url, address) == [
        (small, 4_000_000, Decimal("4.0000"), False, "under the $5 minimum")
    ]
    assert balance(database_url, user.id) == 0
    assert usdc_ledger(database_url, user.id) == []

    # $5 exactly is enough; odd amounts keep what a balance holds, rounded down.
    five, _ = chain.send(address, "5")
    odd, block = chain.send(address, "7.123456")
    chain.mine(CONFIRMATIONS)
    await wait_until_scanned(database_url, block)
    assert [row[3] for row in deposits(database_url, address)] == [False, True, True]
    assert usdc_ledger(database_url, user.id) == [
        (Decimal("5.0000"), f"USDC deposit $5.00 ({five[:10]}…)"),
        (Decimal("7.1234"), f"USDC deposit $7.1234 ({odd[:10]}…)"),
    ]
    assert balance(database_url, user.id) == Decimal("12.1234")


async def test_only_our_addresses_and_our_token_count(
    serve, aiohttp_client, make_settings, chain, database_url
):
    api = await serve(create_app(make_settings(watcher_env(chain))))
    owner = await register(api, database_url, accountType="company", companyName="Acme")
    company_address = await deposit_address(api)

    # Another token with the same Transfer event, sent to our address: not USDC.
    artifact = json.loads(ARTIFACT.read_text())
    factory = chain.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        factory.constructor(10**12).transact({"from": chain.sender})
    )
    fake = chain.w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])
    fake.functions.transfer(company_address, 50 * USDC).transact({"from": chain.sender})
    chain.send(chain.w3.eth.accounts[1], "30")  # USDC to someone else
    tx_hash, block = chain.send(company_address, "10")  # to the company
    chain.mine(CONFIRMATIONS)
    await wait_until_scanned(database_url, block)

    assert [row[0] for row in deposits(database_url, company_address)] == [tx_hash]
    (company_balance,) = db_one(
        database_url, "SELECT balance FROM companies WHERE id = %s", (owner.company_id,)
    )
    assert company_balance == Decimal("10")
    assert (await (await api.get("/api/billing/history")).json())["balance"] == "10.0000"


async def test_rpc_errors_back_off_and_the_watcher_recovers(
    serve, make_settings, chain, database_url, caplog
):
    caplog.set_level(logging.WARNING, logger="onepizza.services.payments.usdc")
    chain.failures_left = 4
    api = await serve(create_app(make_settings(watcher_env(chain))))
    user = await register(api, database_url)
    address = await deposit_address(api)
    tx_hash, block = chain.send(address, "6")
    chain.mine(CONFIRMATIONS)

    await wait_until_scanned(database_url, block)
    assert chain.failures_left == 0
    failures = [r.getMessage() for r in caplog.records if "USDC watcher" in r.getMessage()]
    assert len(failures) == 4
    assert all("retrying in" in message for message in failures)
    assert not any("secret-provider-key" in message for message in failures)
    assert [row[0] for row in deposits(database_url, address)] == [tx_hash]
    assert balance(database_url, user.id) == Decimal("6")


async def test_a_backlog_is_read_in_bounded_contiguous_ranges(
    serve, make_settings, chain, database_url, monkeypatch
):
    monkeypatch.setattr("onepizza.services.payments.usdc.BLOCK_RANGE", 4)
    api = await serve(create_app(make_settings(watcher_env(chain, ETH_START_BLOCK="0"))))
    await register(api, database_url)
    address = await deposit_address(api)
    chain.mine(9)
    first, _ = chain.send(address, "8")
    chain.mine(6)
    second, block = chain.send(address, "9")
    chain.mine(CONFIRMATIONS)

    await wait_until_scanned(database_url, block)
    ranges = sorted(set(chain.log_ranges))
    assert ranges[0][0] == 0 and ranges[-1][1] >= block
    assert all(end - start < 4 for start, end in ranges)
    assert all(nxt[0] == prev[1] + 1 for prev, nxt in itertools.pairwise(ranges))
    assert [row[0] for row in deposits(database_url, address)] == [first, second]


def test_usdc_settings():
    settings = Settings.from_env({})
    assert settings.usdc_contract == "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
    assert (settings.eth_rpc_url, settings.eth_confirmations, settings.eth_start_block) == (
        None,
        12,
        None,
    )
    settings = Settings.from_env(
        {
            "ETH_RPC_URL": "https://eth.example/v3/provider-key",
            "ETH_CONFIRMATIONS": "0",
            "ETH_START_BLOCK": "19000000",
            "USDC_POLL_INTERVAL": "2.5",
        }
    )
    assert (settings.eth_confirmations, settings.eth_start_block) == (0, 19_000_000)
    assert settings.usdc_poll_interval == 2.5
    assert "provider-key" not in repr(settings)
    for name, value in [
        ("USDC_CONTRACT", "0x1234"),
        ("USDC_CONTRACT", "usdc"),
        ("ETH_RPC_URL", "ws://node:8546"),
        ("ETH_CONFIRMATIONS", "-1"),
        ("ETH_START_BLOCK", "soon"),
        ("USDC_POLL_INTERVAL", "0"),
    ]:
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: value})
