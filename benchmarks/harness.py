"""Shared pieces of the benchmarks: a throw-away marketplace, a real server, load tools.

Benchmarks run real processes on this machine (loopback only) and print their figures; they are
not tests. Load comes from `wrk` (saturation, closed loop) and `hey` (fixed rate, latency); both
are Debian packages (`apt-get install -y wrk hey`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from orderflow.auth.tokens import issue_token
from orderflow.config import Settings
from orderflow.db.migrate import upgrade
from orderflow.db.models import Hub, StockLevel, Variant, Vendor
from orderflow.db.session import Database

BENCH_SECRET = "orderflow-bench-secret-0123456789abcdef0123"
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

ALL_WEEK = {d: ["00:00", "23:59"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} is not installed: apt-get install -y {name}")
    return path


@dataclass
class Marketplace:
    variants: list[tuple[str, str, str, int]]  # (variant_id, vendor_id, vendor_type, price cents)


def seed_marketplace(
    database_url: str, *, variants_per_vendor: int = 10, stock: int = 10**9
) -> Marketplace:
    """Three vendors, two central Chicago hubs, plenty of stock everywhere."""
    upgrade(database_url)
    settings = Settings(database_url=database_url, env="test", jwt_secret=BENCH_SECRET)
    db = Database(settings)
    rows: list[tuple[str, str, str, int]] = []
    with db.write() as session:
        for h, (lat, lng) in enumerate([(41.8827, -87.6233), (41.9088, -87.6776)]):
            session.add(
                Hub(
                    id=f"hub_b{h}",
                    name=f"Bench hub {h}",
                    lat=lat,
                    lng=lng,
                    address={
                        "line1": "1 Bench St",
                        "city": "Chicago",
                        "state": "IL",
                        "postalCode": "60601",
                        "country": "US",
                    },
                    timezone="America/Chicago",
                    opening_hours=ALL_WEEK,
                    daily_capacity=10**9,
                    processing_minutes=30,
                    delivery_base_amount=499,
                    delivery_per_km_amount=50,
                    express_surcharge_amount=500,
                    service_radius_km=60.0,
                    express_cutoff="23:59",
                )
            )
        for v, vtype in enumerate(["brand", "brand", "distributor"]):
            session.add(
                Vendor(
                    id=f"ven_b{v}",
                    name=f"Bench vendor {v}",
                    type=vtype,
                    stripe_account_id=f"acct_bench{v}",
                )
            )
        session.flush()
        for v, vtype in enumerate(["brand", "brand", "distributor"]):
            for i in range(variants_per_vendor):
                vid = f"var_b{v}_{i}"
                price = 999 + 100 * i
                session.add(
                    Variant(
                        id=vid,
                        sku=f"BENCH-{v}-{i}",
                        title=f"Bench {v}/{i}",
                        vendor_id=f"ven_b{v}",
                        price_amount=price,
                        age_restricted=True,
                        minimum_age=21,
                        category="beer",
                    )
                )
                rows.append((vid, f"ven_b{v}", vtype, price))
        session.flush()
        for h in range(2):
            for vid, *_ in rows:
                session.add(
                    StockLevel(hub_id=f"hub_b{h}", variant_id=vid, on_hand=stock, reserved=0)
                )
    db.dispose()
    return Marketplace(rows)


def order_body(
    market: Marketplace, customer_id: str, picks: list[int], quantity: int = 1
) -> dict[str, object]:
    address = {
        "name": "Bench Buyer",
        "line1": "233 S Wacker Dr",
        "city": "Chicago",
        "state": "IL",
        "postalCode": "60606",
        "country": "US",
        "lat": 41.8789,
        "lng": -87.6359,
    }
    items = []
    for p in picks:
        vid, ven, vtype, price = market.variants[p % len(market.variants)]
        items.append(
            {
                "variantId": vid,
                "quantity": quantity,
                "price": price / 100,
                "vendorId": ven,
                "vendorType": vtype,
            }
        )
    return {
        "customerId": customer_id,
        "shippingAddress": address,
        "billingAddress": address,
        "items": items,
        "deliveryType": "standard",
        "paymentMethodId": "pm_card_visa",
        "ageVerified": True,
    }


def token(role: str, sub: str) -> str:
    return issue_token(BENCH_SECRET, role=role, sub=sub)  # type: ignore[arg-type]


@contextmanager
def server(env: dict[str, str], *, workers: int = 1, extra_workers: int = 0) -> Iterator[str]:
    """Run `orderflow serve` (and `extra_workers` standalone `orderflow worker`s); yield the URL."""
    port = free_port()
    full_env = {
        **os.environ,
        **env,
        "ORDERFLOW_JWT_SECRET": BENCH_SECRET,
        "ORDERFLOW_ENV": "test",
        "ORDERFLOW_LOG_LEVEL": "WARNING",
    }
    procs = [
        subprocess.Popen(
            [str(BIN / "orderflow"), "serve", "--port", str(port), "--workers", str(workers)],
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    ]
    for _ in range(extra_workers):
        procs.append(
            subprocess.Popen(
                [str(BIN / "orderflow"), "worker"],
                env=full_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(
                "server did not start: "
                + (procs[0].stderr.read().decode() if procs[0].stderr else "")
            )
        yield url
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
local bodies = %(bodies)s
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, "/v1/orders", nil, bodies[(i %% #bodies) + 1])
end
local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("P50 %%d\\nP99 %%d\\n", latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int


def run_wrk(
    url: str,
    bodies: list[dict[str, object]],
    tok: str,
    *,
    connections: int = 32,
    seconds: int = 10,
    threads: int = 2,
) -> LoadResult:
    require_tool("wrk")
    lua = "{" + ",".join(json.dumps(json.dumps(b)) for b in bodies) + "}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % {"token": tok, "bodies": lua})
        script = f.name
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            script,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    reqs = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = int(re.search(r"P50 (\d+)", out).group(1)) / 1000  # type: ignore[union-attr]
    p99 = int(re.search(r"P99 (\d+)", out).group(1)) / 1000  # type: ignore[union-attr]
    return LoadResult(rps, p50, p99, int(non.group(1)) if non else 0, reqs)


def run_hey(
    url: str, body: dict[str, object], tok: str, *, rate: int, seconds: int = 10, workers: int = 20
) -> LoadResult:
    """Fixed-rate load (`rate` requests/s in total) and its latency distribution."""
    require_tool("hey")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(body, f)
        path = f.name
    per_worker = max(rate / workers, 0.1)
    out = subprocess.run(
        [
            "hey",
            "-z",
            f"{seconds}s",
            "-c",
            str(workers),
            "-q",
            f"{per_worker:.2f}",
            "-m",
            "POST",
            "-T",
            "application/json",
            "-H",
            f"Authorization: Bearer {tok}",
            "-D",
            path,
            url + "/v1/orders",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(path)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = float(re.search(r"50%+ in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    p99 = float(re.search(r"99%+ in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    codes = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    total = sum(int(v) for v in codes.values())
    non = sum(int(v) for k, v in codes.items() if not k.startswith("2"))
    return LoadResult(rps, p50, p99, non, total)
