"""WebSocket fan-out benchmark (not a test): many subscribers, events produced through the API.

    .venv/bin/python -m benchmarks.ws_fanout [--subscribers 1000] [--orders 100] [--seconds 10]
        [--producers 8] [--postgres URL --redis URL --api-workers 2]

Starts a real ``orderflow serve`` (embedded SQLite by default), places ``--orders`` orders and
drives each to ``out_for_delivery`` through the API, opens ``--subscribers`` WebSocket clients
spread evenly over the orders (resuming after the current sequence, so only live events count),
then posts courier positions (``POST /v1/fulfillments/{id}/location``) for ``--seconds``.
Each ``order.location`` event is pushed to every subscriber of its order.

Prints deliveries/s (messages received by all clients / seconds from the first post to the
last delivery) and event → client latency p50/p99 (the event's own timestamp, taken in the
transaction that wrote it, to its arrival at the client; same machine, same clock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

from benchmarks.harness import order_body, seed_marketplace, server, token

TARGET_DELIVERIES_PER_SECOND = 40_000
TARGET_P99_MS = 50.0


@dataclass
class Stats:
    latencies_ms: list[float] = field(default_factory=list)
    deliveries: int = 0
    last_delivery: float = 0.0
    dropped: int = 0


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


async def _prepare_orders(api: httpx.AsyncClient, market: Any, n: int) -> list[tuple[str, str]]:
    """Place ``n`` orders and drive each to out_for_delivery: [(order_id, fulfillment_id)]."""
    customer = {"Authorization": f"Bearer {token('customer', 'cus_bench')}"}
    admin = {"Authorization": f"Bearer {token('admin', 'bench')}"}
    sem = asyncio.Semaphore(8)

    async def one(i: int) -> tuple[str, str]:
        async with sem:
            body = order_body(market, "cus_bench", [i % 10])  # one vendor, one hub
            response = await api.post("/v1/orders", json=body, headers=customer)
            response.raise_for_status()
            order = response.json()
            deadline = time.monotonic() + 60
            while True:  # the in-process worker validates and charges it
                status = (await api.get(f"/v1/orders/{order['id']}", headers=admin)).json()
                if status["status"] == "confirmed":
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"order {order['id']} stuck in {status['status']}")
                await asyncio.sleep(0.1)
            fulfillment = order["fulfillments"][0]["id"]
            for step in ("processing", "packed", "picked_up", "in_transit", "out_for_delivery"):
                extra = {"courierId": f"cou_{i}"} if step == "picked_up" else {}
                moved = await api.post(
                    f"/v1/fulfillments/{fulfillment}/transitions",
                    json={"to": step, **extra},
                    headers=admin,
                )
                moved.raise_for_status()
            return order["id"], fulfillment

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def _subscribe(
    ws_base: str, order_id: str, stats: Stats, ready: asyncio.Event, stop: asyncio.Event
) -> None:
    url = f"{ws_base}/v1/orders/{order_id}/ws?token={token('admin', 'bench')}&after=1000000"
    async with websockets.connect(url, max_queue=None, open_timeout=60) as ws:
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            except websockets.ConnectionClosed as exc:
                if exc.rcvd and exc.rcvd.code == 4408:
                    stats.dropped += 1
                return
            now = time.time()
            message = json.loads(raw)
            if message.get("event") != "order.location":
                continue
            stats.deliveries += 1
            stats.last_delivery = now
            stats.latencies_ms.append((now - _ts(message["timestamp"])) * 1000)


async def _produce(
    api: httpx.AsyncClient, orders: list[tuple[str, str]], seconds: float, producers: int
) -> tuple[int, float]:
    courier = {"Authorization": f"Bearer {token('admin', 'bench')}"}
    posted = 0
    start = time.monotonic()
    deadline = start + seconds

    async def loop(worker: int) -> None:
        nonlocal posted
        rng = random.Random(worker)
        while time.monotonic() < deadline:
            _, fulfillment = rng.choice(orders)
            response = await api.post(
                f"/v1/fulfillments/{fulfillment}/location",
                json={"lat": 41.88 + rng.random() / 100, "lng": -87.63 - rng.random() / 100},
                headers=courier,
            )
            if response.status_code == 200:
                posted += 1

    await asyncio.gather(*(loop(i) for i in range(producers)))
    return posted, start


async def run(base_url: str, market: Any, args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as api:
        print(f"preparing {args.orders} orders out for delivery ...", flush=True)
        orders = await _prepare_orders(api, market, args.orders)
        stats = Stats()
        stop = asyncio.Event()
        ws_base = base_url.replace("http://", "ws://")
        print(f"opening {args.subscribers} WebSocket subscribers ...", flush=True)
        readies = []
        tasks = []
        sem = asyncio.Semaphore(50)

        async def open_one(i: int) -> None:
            ready = asyncio.Event()
            readies.append(ready)
            async with sem:
                tasks.append(
                    asyncio.create_task(
                        _subscribe(ws_base, orders[i % len(orders)][0], stats, ready, stop)
                    )
                )
                await asyncio.wait_for(ready.wait(), 60)

        await asyncio.gather(*(open_one(i) for i in range(args.subscribers)))
        await asyncio.sleep(1)
        print(f"producing order.location events for {args.seconds}s ...", flush=True)
        start_wall = time.time()
        posted, _ = await _produce(api, orders, args.seconds, args.producers)
        expected = posted * args.subscribers // len(orders)
        drain_deadline = time.monotonic() + 30
        while stats.deliveries < expected and time.monotonic() < drain_deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = max(stats.last_delivery - start_wall, 1e-9)
    lat = sorted(stats.latencies_ms)
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    print()
    print(f"subscribers          {args.subscribers} over {len(orders)} orders")
    print(f"events posted        {posted} ({posted / args.seconds:.0f}/s through the API)")
    print(f"deliveries           {stats.deliveries} of {expected} expected")
    print(f"dropped (slow)       {stats.dropped}")
    print(
        f"deliveries/s         {stats.deliveries / elapsed:,.0f}"
        f"   (target >= {TARGET_DELIVERIES_PER_SECOND:,})"
    )
    print(f"latency p50          {p50:.1f} ms")
    print(f"latency p99          {p99:.1f} ms   (target <= {TARGET_P99_MS:.0f} ms)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--producers", type=int, default=8)
    parser.add_argument("--postgres", help="PostgreSQL URL (default: embedded SQLite)")
    parser.add_argument("--redis", help="Redis URL (with --postgres)")
    parser.add_argument("--api-workers", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.postgres or f"sqlite:///{Path(tmp) / 'fanout.db'}"
        market = seed_marketplace(database_url)
        env = {"ORDERFLOW_DATABASE_URL": database_url, "ORDERFLOW_WS_SEND_QUEUE": "1024"}
        if args.redis:
            env["ORDERFLOW_REDIS_URL"] = args.redis
            env["ORDERFLOW_REDIS_PREFIX"] = f"wsbench{int(time.time())}"
        with server(env, workers=args.api_workers) as base_url:
            asyncio.run(run(base_url, market, args))


if __name__ == "__main__":
    main()
