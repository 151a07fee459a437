"""USDC deposits: per-account addresses derived from CRYPTO_MNEMONIC, and the watcher that
credits ERC-20 Transfer logs to them once they are ETH_CONFIRMATIONS blocks deep."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

import aiohttp
from eth_account import Account
from eth_account.hdaccount import Mnemonic
from eth_utils import keccak, to_checksum_address
from web3 import AsyncHTTPProvider, AsyncWeb3

from onepizza.db import cursor, transaction
from onepizza.db import ledger as ledger_sql
from onepizza.db import usdc as usdc_sql
from onepizza.errors import ServiceUnavailable

log = logging.getLogger(__name__)

DERIVATION_PATH = "m/44'/60'/0'/0/{index}"  # BIP-44, Ethereum, first account, external chain
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
UNITS_PER_DOLLAR = 10**6  # USDC has 6 decimals
CENT = Decimal("0.0001")  # what a balance can hold; deposits are rounded down to it
MIN_DEPOSIT = 5 * UNITS_PER_DOLLAR  # smaller deposits are recorded, not credited
MAX_CREDIT = Decimal(10**9)  # beyond this an operator looks (balances are NUMERIC(14,4))
BLOCK_RANGE = 2000  # blocks per eth_getLogs, within what public RPC providers accept
ADDRESS_BATCH = 500  # recipient addresses per eth_getLogs topic filter
RPC_TIMEOUT = 10.0  # seconds for one JSON-RPC call
MAX_BACKOFF = 300.0  # seconds, at most, between attempts while the RPC endpoint fails
CLOCK_MARGIN = 3600  # seconds: how far our clock and the chain's may disagree


def usd_text(amount: Decimal) -> str:
    """12.50 for 12.5; the hundredths of a cent a balance keeps are shown when there are some."""
    text = f"{amount:.4f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"


def units_to_usd(units: int) -> Decimal:
    return (Decimal(units) / UNITS_PER_DOLLAR).quantize(CENT, rounding=ROUND_DOWN)


def derive_address(mnemonic: str, index: int) -> str:
    """The checksummed address at m/44'/60'/0'/0/<index>; CPU work, run in an executor."""
    return Account.from_mnemonic(mnemonic, account_path=DERIVATION_PATH.format(index=index)).address


def valid_mnemonic(mnemonic: str) -> bool:
    try:
        language = Mnemonic.detect_language(mnemonic)
        return Mnemonic(language).is_mnemonic_valid(mnemonic)
    except Exception:  # unknown words; the message would repeat them, so it is dropped
        return False


Account.enable_unaudited_hdwallet_features()


class DepositAddresses:
    """Each account's own deposit address: a company's for its members, else the user's,
    derived once at the next unused index and stored."""

    def __init__(self, pool, mnemonic: str | None):
        self._pool = pool
        self._mnemonic = mnemonic
        if mnemonic and not valid_mnemonic(mnemonic):
            log.error("CRYPTO_MNEMONIC is not a valid BIP-39 mnemonic: USDC deposits are off")
            self._mnemonic = None

    @property
    def enabled(self) -> bool:
        return self._mnemonic is not None

    async def address_for(self, user: dict) -> str:
        if self._mnemonic is None:
            raise ServiceUnavailable("USDC deposits are not configured")
        owner = (
            {"user_id": None, "company_id": user["company_id"]}
            if user["company_id"] is not None
            else {"user_id": user["id"], "company_id": None}
        )
        async with cursor(self._pool) as cur:
            address = await usdc_sql.address_of(cur, **owner)
            if address is not None:
                return address
            # The index is drawn first (a sequence never gives it out again), the key
            # derived outside the loop and the pool, then stored unless a concurrent
            # request stored one first.
            index = await usdc_sql.next_index(cur)
        derive = functools.partial(derive_address, self._mnemonic, index)
        address = await asyncio.get_running_loop().run_in_executor(None, derive)
        async with cursor(self._pool) as cur:
            return await usdc_sql.add_address(cur, index=index, address=address, **owner)


@dataclass(frozen=True)
class Transfer:
    """One ERC-20 Transfer log to a deposit address."""

    tx_hash: str
    log_index: int
    block_number: int
    sender: str
    recipient: str
    units: int

    @property
    def amount(self) -> Decimal:
        return units_to_usd(self.units)


class _Stopped(Exception):
    """The watcher was told to stop while it waited on the RPC endpoint."""


class UsdcWatcher:
    """Scans USDC Transfer logs to known deposit addresses up to latest - confirmations,
    in bounded block ranges, and credits each (tx hash, log index) exactly once."""

    def __init__(
        self,
        pool,
        *,
        rpc_url: str,
        contract: str,
        confirmations: int,
        poll_interval: float,
        start_block: int | None = None,
    ):
        self._pool = pool
        self._rpc_url = rpc_url
        self._contract = to_checksum_address(contract)
        self._confirmations = confirmations
        self._poll_interval = poll_interval
        self._start_block = start_block
        self._w3 = AsyncWeb3(
            AsyncHTTPProvider(
                rpc_url,
                request_kwargs={"timeout": aiohttp.ClientTimeout(total=RPC_TIMEOUT)},
                exception_retry_configuration=None,  # our own backoff decides
            )
        )
        self._chain_id: int | None = None
        self._addresses: set[str] = set()  # checksummed
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Scan until `stop` is set, every poll interval; back off while the endpoint or
        the database fails. Stopped between rounds, or while waiting on the endpoint, never
        in the middle of a database statement."""
        self._stop = stop
        failures = 0
        try:
            while not stop.is_set():
                try:
                    await self.scan()
                except _Stopped:
                    break
                except Exception as exc:
                    failures += 1
                    delay = min(self._poll_interval * 2 ** (failures - 1), MAX_BACKOFF)
                    log.warning(
                        "USDC watcher: %s (attempt %d); retrying in %.1f s",
                        self._describe(exc),
                        failures,
                        delay,
                    )
                else:
                    failures, delay = 0, self._poll_interval
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
        finally:
            await self._w3.provider.disconnect()

    async def scan(self) -> None:
        """Read every settled block after the cursor, a range at a time, crediting what
        it finds, and move the cursor past each range once its deposits are recorded."""
        if self._chain_id is None:
            self._chain_id = await self._rpc(self._w3.eth.chain_id)
        # The head is read before the addresses: any transfer in a block up to it was
        # sent to an address already stored.
        safe = await self._rpc(self._w3.eth.block_number) - self._confirmations
        last = await self._last_block(safe)
        if last >= safe:
            return
        await self._load_addresses()
        while last < safe and not self._stop.is_set():
            end = min(last + BLOCK_RANGE, safe)
            for transfer in await self._transfers(last + 1, end):
                await self._credit(transfer)
            async with cursor(self._pool) as cur:
                await usdc_sql.save_last_block(
                    cur, chain_id=self._chain_id, contract=self._contract, block=end
                )
            last = end

    async def _last_block(self, safe: int) -> int:
        """The last block already scanned on this chain; on the first run, the block before
        where scanning starts (see _first_block)."""
        key = {"chain_id": self._chain_id, "contract": self._contract}
        async with cursor(self._pool) as cur:
            last = await usdc_sql.last_block(cur, **key)
            if last is not None:
                return last
            since = await usdc_sql.first_address_time(cur)
        first = await self._first_block(safe, since)
        async with cursor(self._pool) as cur:
            await usdc_sql.save_last_block(cur, **key, block=first - 1)
        log.info("USDC watcher: chain %s, scanning from block %d", self._chain_id, first)
        return first - 1

    async def _first_block(self, safe: int, since: datetime | None) -> int:
        """Where a chain's first scan starts: ETH_START_BLOCK when set; else the first block
        mined after the first deposit address was handed out (an hour earlier, for clocks
        that disagree), found by bisecting block timestamps, so nothing sent while the
        endpoint was unreachable is missed; else, with no address yet, the next block."""
        if self._start_block is not None:
            return self._start_block
        if since is None or safe < 0:
            return max(safe, -1) + 1
        target = since.timestamp() - CLOCK_MARGIN
        low, high = 0, safe + 1  # the answer is in [low, high]; high: every block is older
        while low < high:
            middle = (low + high) // 2
            block = await self._rpc(self._w3.eth.get_block(middle))
            if block["timestamp"] >= target:
                high = middle
            else:
                low = middle + 1
        return low

    async def _load_addresses(self) -> None:
        """Every deposit address, read again each round: indices are drawn before their
        rows commit, so a lower one can appear after a higher one."""
        async with cursor(self._pool) as cur:
            self._addresses = await usdc_sql.all_addresses(cur)

    async def _transfers(self, first: int, last: int) -> list[Transfer]:
        """Transfer logs of the token to our addresses in blocks first..last, in chain order."""
        recipients = sorted(self._addresses)
        found: list[Transfer] = []
        for start in range(0, len(recipients), ADDRESS_BATCH):
            batch = ["0x" + "00" * 12 + a[2:].lower() for a in recipients[start:][:ADDRESS_BATCH]]
            logs = await self._rpc(
                self._w3.eth.get_logs(
                    {
                        "fromBlock": first,
                        "toBlock": last,
                        "address": self._contract,
                        "topics": [TRANSFER_TOPIC, None, batch],
                    }
                )
            )
            found.extend(t for t in map(self._transfer, logs) if t is not None)
        return sorted(found, key=lambda t: (t.block_number, t.log_index))

    def _transfer(self, entry) -> Transfer | None:
        topics, data = entry["topics"], bytes(entry["data"])
        if entry.get("removed") or len(topics) != 3 or len(data) != 32:
            return None
        if to_checksum_address(entry["address"]) != self._contract:
            return None
        recipient = to_checksum_address(bytes(topics[2])[-20:])
        if recipient not in self._addresses:
            return None
        return Transfer(
            tx_hash="0x" + bytes(entry["transactionHash"]).hex(),
            log_index=entry["logIndex"],
            block_number=entry["blockNumber"],
            sender=to_checksum_address(bytes(topics[1])[-20:]),
            recipient=recipient,
            units=int.from_bytes(data, "big"),
        )

    async def _credit(self, transfer: Transfer) -> str:
        """Record a transfer and credit it to the address's account, in one transaction,
        unless it was recorded before. Returns what happened."""
        amount = transfer.amount
        note = None
        if transfer.units < MIN_DEPOSIT:
            note = "under the $5 minimum"
        elif amount > MAX_CREDIT:
            note = "too large to credit automatically"
        async with transaction(self._pool) as cur:
            # The deposit is claimed before the account is locked, as Stripe top-ups are.
            deposit_id = await usdc_sql.record_deposit(
                cur,
                tx_hash=transfer.tx_hash,
                log_index=transfer.log_index,
                chain_id=self._chain_id,
                block_number=transfer.block_number,
                address=transfer.recipient,
                from_address=transfer.sender,
                amount_units=transfer.units,
                amount_usd=amount if amount <= MAX_CREDIT else None,
                note=note,
            )
            if deposit_id is None:
                return "duplicate"
            if note is not None:
                log.info("USDC deposit %s not credited: %s", transfer.tx_hash, note)
                return "recorded"
            payer = await self._payer(cur, transfer.recipient)
            if payer is None:
                await usdc_sql.set_note(cur, deposit_id, "the account is gone")
                log.error("USDC deposit %s: the account is gone", transfer.tx_hash)
                return "recorded"
            await ledger_sql.apply(
                cur,
                **payer,
                amount=amount,
                kind="usdc_deposit",
                description=f"USDC deposit ${usd_text(amount)} ({transfer.tx_hash[:10]}…)",
            )
            await usdc_sql.mark_credited(cur, deposit_id, **payer)
        log.info("USDC deposit %s credited %s", transfer.tx_hash, amount)
        return "credited"

    @staticmethod
    async def _payer(cur, address: str) -> dict | None:
        """Who a deposit credits: the company for a company's address; for a user's, the
        balance they spend (their company's, once they joined one)."""
        owner = await usdc_sql.owner_of(cur, address)
        if owner is None:
            return None
        if owner["company_id"] is not None:
            return await ledger_sql.company_payer(cur, owner["company_id"])
        if owner["user_id"] is not None:
            return await ledger_sql.user_payer(cur, owner["user_id"])
        return None

    async def _rpc(self, call):
        """Await an RPC call, abandoning it when the watcher is told to stop (an HTTP request
        may be cut short; a database statement never is)."""
        request = asyncio.ensure_future(call)
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait((request, stopped), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not request.done():
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await request
            raise _Stopped
        return request.result()

    def _describe(self, exc: Exception) -> str:
        """An error for the log, without the RPC URL (its path often holds an API key)."""
        text = str(exc).replace(self._rpc_url, "<ETH_RPC_URL>")
        return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__
