"""`make bench`: every benchmark, figures printed (copy them to docs/performance.md).

python -m benchmarks.run                 # all
python -m benchmarks.run placement-sqlite hot-sku statements pipeline placement-postgres
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, event, text

from benchmarks.harness import (
    BENCH_SECRET,
    Marketplace,
    order_body,
    run_hey,
    run_wrk,
    seed_marketplace,
    server,
    token,
)

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _bodies(market: Marketplace, n: int = 200) -> list[dict[str, object]]:
    rng = random.Random(7)
    return [
        order_body(market, "cus_bench", rng.sample(range(len(market.variants)), 2))
        for _ in range(n)
    ]


def _report(
    name: str,
    sat_rps: float,
    sat_p50: float,
    sat_p99: float,
    half_rate: int,
    half_p50: float,
    half_p99: float,
    errors: int,
) -> None:
    print(
        f"{name}: saturation {sat_rps:.0f} orders/s (p50 {sat_p50:.1f} ms, p99 {sat_p99:.1f} ms);"
        f" at {half_rate}/s p50 {half_p50:.1f} ms, p99 {half_p99:.1f} ms; non-2xx {errors}"
    )


def placement(
    database_url: str, env: dict[str, str], *, workers: int = 1, extra_workers: int = 0, label: str
) -> float:
    market = seed_marketplace(database_url)
    tok = token("customer", "cus_bench")
    with server(
        {"ORDERFLOW_DATABASE_URL": database_url, **env},
        workers=workers,
        extra_workers=extra_workers,
    ) as url:
        run_wrk(url, _bodies(market), tok, seconds=3)  # warm-up
        sat = run_wrk(url, _bodies(market), tok, seconds=10)
        half = max(int(sat.rps / 2), 1)
        fixed = run_hey(url, order_body(market, "cus_bench", [0, 11]), tok, rate=half)
    _report(
        label,
        sat.rps,
        sat.p50_ms,
        sat.p99_ms,
        half,
        fixed.p50_ms,
        fixed.p99_ms,
        sat.non_2xx + fixed.non_2xx,
    )
    return sat.rps


def hot_sku(database_url: str, env: dict[str, str], *, label: str, workers: int = 1) -> None:
    market = seed_marketplace(database_url)
    tok = token("customer", "cus_bench")
    uniform_bodies = _bodies(market)
    hot_bodies = [order_body(market, "cus_bench", [0])]
    with server({"ORDERFLOW_DATABASE_URL": database_url, **env}, workers=workers) as url:
        run_wrk(url, uniform_bodies, tok, seconds=3)
        uniform = run_wrk(
            url,
            [order_body(market, "cus_bench", [i]) for i in range(30)],
            tok,
            connections=32,
            seconds=10,
        )
        hot = run_wrk(url, hot_bodies, tok, connections=32, seconds=10)
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        reserved = conn.execute(
            text("SELECT SUM(reserved) FROM stock_levels WHERE variant_id = 'var_b0_0'")
        ).scalar_one()
        units = conn.execute(
            text(
                "SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i"
                " JOIN orders o ON o.id = i.order_id"
                " WHERE i.variant_id = 'var_b0_0' AND o.status NOT IN ('cancelled')"
            )
        ).scalar_one()
    engine.dispose()
    print(
        f"{label} hot SKU: {hot.rps:.0f} orders/s vs uniform single-line {uniform.rps:.0f}/s"
        f" = {100 * hot.rps / uniform.rps:.0f} %; p99 {hot.p99_ms:.0f} ms;"
        f" reserved+consumed units {reserved} for {units} ordered units (oversell: none if equal"
        f" before consumption)"
    )


def statements() -> None:
    """SQL statements in one two-vendor placement (in-process, SQLite)."""
    from fastapi.testclient import TestClient

    from orderflow.api.app import create_app
    from orderflow.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        market = seed_marketplace(url)
        settings = Settings(
            database_url=url, env="test", jwt_secret=BENCH_SECRET, run_worker_in_process=False
        )
        app = create_app(settings, background=False)
        client = TestClient(
            app, headers={"Authorization": f"Bearer {token('customer', 'cus_bench')}"}
        )
        engine = app.state.runtime.db.engine
        client.post("/v1/orders", json=order_body(market, "cus_bench", [0, 25]))
        count = 0

        def counter(*_args: object) -> None:
            nonlocal count
            count += 1

        event.listen(engine, "before_cursor_execute", counter)
        response = client.post("/v1/orders", json=order_body(market, "cus_bench", [1, 26]))
        event.remove(engine, "before_cursor_execute", counter)
        assert response.status_code == 201, response.text
        print(f"statements per two-vendor placement: {count}")


def pipeline(
    database_url: str, env: dict[str, str], *, label: str, orders: int = 50, extra_workers: int = 0
) -> None:
    """Placed → confirmed (with fulfillments created) latency, paced at 10 orders/s."""
    market = seed_marketplace(database_url)
    tok = token("customer", "cus_bench")
    admin = token("admin", "bench-admin")
    latencies: list[float] = []
    with server(
        {"ORDERFLOW_DATABASE_URL": database_url, **env}, extra_workers=extra_workers
    ) as url:
        client = httpx.Client(base_url=url, timeout=10)
        ids = []
        for i in range(orders):
            r = client.post(
                "/v1/orders",
                json=order_body(market, "cus_bench", [i, i + 11]),
                headers={"Authorization": f"Bearer {tok}"},
            )
            r.raise_for_status()
            ids.append(r.json()["id"])
            time.sleep(0.1)
        deadline = time.time() + 60
        pending = set(ids)
        while pending and time.time() < deadline:
            for oid in list(pending):
                events = client.get(
                    f"/v1/orders/{oid}/events", headers={"Authorization": f"Bearer {admin}"}
                ).json()
                names = {e["event"]: e["timestamp"] for e in events}
                if "order.confirmed" in names:
                    placed = _ts(names["order.placed"])
                    latencies.append((_ts(names["order.confirmed"]) - placed) * 1000)
                    pending.discard(oid)
            time.sleep(0.2)
    latencies.sort()
    if not latencies:
        print(f"{label} pipeline: no order was confirmed")
        return
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"{label} pipeline placed→confirmed: p50 {statistics.median(latencies):.0f} ms,"
        f" p99 {p99:.0f} ms over {len(latencies)} orders ({len(pending)} not confirmed)"
    )


def _ts(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _pg_database() -> str:
    name = f"orderflow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def main(selected: list[str]) -> None:
    wanted = set(selected) or {
        "placement-sqlite",
        "hot-sku",
        "statements",
        "pipeline",
        "placement-postgres",
        "hot-sku-postgres",
        "pipeline-postgres",
    }
    redis_env = {
        "ORDERFLOW_REDIS_URL": "redis://127.0.0.1:6379/0",
        "ORDERFLOW_REDIS_PREFIX": f"bench{uuid.uuid4().hex[:6]}",
        "ORDERFLOW_RUN_WORKER_IN_PROCESS": "false",
    }
    with tempfile.TemporaryDirectory() as tmp:

        def sqlite_url(name: str) -> str:
            return f"sqlite:///{Path(tmp) / name}.db"

        if "statements" in wanted:
            statements()
        if "placement-sqlite" in wanted:
            placement(sqlite_url("place"), {}, label="embedded (SQLite, in-process worker)")
        if "hot-sku" in wanted:
            hot_sku(sqlite_url("hot"), {}, label="embedded")
        if "pipeline" in wanted:
            pipeline(sqlite_url("pipe"), {}, label="embedded")
        if "placement-postgres" in wanted:
            placement(
                _pg_database(),
                redis_env,
                workers=2,
                extra_workers=1,
                label="PostgreSQL + Redis (2 API workers + 1 worker)",
            )
        if "hot-sku-postgres" in wanted:
            hot_sku(_pg_database(), redis_env, label="PostgreSQL", workers=2)
        if "pipeline-postgres" in wanted:
            pipeline(_pg_database(), redis_env, label="PostgreSQL", extra_workers=1)
    ws = "ws-fanout" in wanted
    if ws:
        from benchmarks import ws_fanout

        ws_fanout.main()


if __name__ == "__main__":
    main(sys.argv[1:])
