"""Jobs retry 3 times with exact delays (base, then twice it), then fail for good, compensated.

Each test runs on the SQLite queue and on saq's PostgreSQL queue (the ``backend`` parameter).
Delays are scaled: base 200 ms here, 2000 ms in production.
"""

from __future__ import annotations

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from saq.job import Status

from orderflow.api.app import create_app
from orderflow.config import Settings
from orderflow.runtime import Runtime
from orderflow.workers.queue import new_job
from orderflow.workers.registry import retry_delay_after
from orderflow.workers.worker import JobWorker
from tests.conftest import TEST_SECRET, make_settings
from tests.workers.conftest import BASE_MS, Journal
from tests.workers.helpers import wait_for_job

TOLERANCE = 0.15  # seconds of scheduling slack allowed on top of each delay


async def enqueue(runtime: Runtime, function: str, order_id: str) -> str:
    key = f"{function}:{order_id}"
    job = new_job(runtime.settings, function, key=key, kwargs={"order_id": order_id})
    await runtime.queue.enqueue(job)
    return key


class TestRetrySchedule:
    def test_the_default_delays_are_two_then_four_seconds(self) -> None:
        settings = make_settings("sqlite:///unused.db")
        assert settings.job_attempts == 3
        assert [retry_delay_after(settings, 1), retry_delay_after(settings, 2)] == [2.0, 4.0]

    async def test_a_job_failing_twice_runs_again_after_the_base_delay_then_twice_it(
        self, queued_runtime: Runtime, worker: JobWorker, journal: Journal
    ) -> None:
        key = await enqueue(queued_runtime, "test.flaky", "ord_1")

        job = await wait_for_job(queued_runtime.queue, key, Status.COMPLETE)

        first, second, third = journal.runs["flaky:ord_1"]
        base = BASE_MS / 1000
        assert base <= second - first < base + TOLERANCE
        assert 2 * base <= third - second < 2 * base + TOLERANCE
        assert job.attempts == 3
        assert journal.compensations == []


class TestFinalFailure:
    async def test_a_job_that_always_fails_is_kept_failed_after_three_attempts(
        self, queued_runtime: Runtime, worker: JobWorker, journal: Journal
    ) -> None:
        key = await enqueue(queued_runtime, "test.broken", "ord_2")

        job = await wait_for_job(queued_runtime.queue, key, Status.FAILED)

        assert len(journal.runs["broken:ord_2"]) == 3
        assert job.attempts == 3
        assert job.error is not None and "still broken" in job.error
        assert job.ttl == 0  # kept until an admin retries it
        assert journal.compensations == [("ord_2", {"reason": "still broken"})]
        assert job.meta["compensated"] is True

    async def test_a_permanent_error_fails_at_once_and_compensates_once(
        self, queued_runtime: Runtime, worker: JobWorker, journal: Journal
    ) -> None:
        key = await enqueue(queued_runtime, "test.refused", "ord_3")

        job = await wait_for_job(queued_runtime.queue, key, Status.FAILED)

        assert len(journal.runs["refused:ord_3"]) == 1
        assert job.attempts == 1
        assert journal.compensations == [("ord_3", {"reason": "card declined"})]

    async def test_a_job_without_compensation_is_kept_failed_all_the_same(
        self, queued_runtime: Runtime, worker: JobWorker, journal: Journal
    ) -> None:
        key = await enqueue(queued_runtime, "test.doomed", "ord_4")

        job = await wait_for_job(queued_runtime.queue, key, Status.FAILED)

        assert job.attempts == 3 and len(journal.runs["doomed:ord_4"]) == 3
        assert "compensated" not in job.meta
        assert journal.compensations == []


class TestDeadLetters:
    @pytest.fixture
    def admin_client(self, queued_runtime: Runtime, make_token: object) -> TestClient:
        from orderflow.auth.tokens import issue_token

        app = create_app(runtime=queued_runtime, background=False)
        token = issue_token(TEST_SECRET, role="admin", sub="admin-1")
        return TestClient(
            app, headers={"Authorization": f"Bearer {token}"}, raise_server_exceptions=False
        )

    async def test_a_failed_job_is_listed_with_its_error_and_attempts(
        self, queued_runtime: Runtime, worker: JobWorker, admin_client: TestClient
    ) -> None:
        failed = await enqueue(queued_runtime, "test.broken", "ord_5")
        done = await enqueue(queued_runtime, "test.ok", "ord_6")
        await wait_for_job(queued_runtime.queue, failed, Status.FAILED)
        await wait_for_job(queued_runtime.queue, done, Status.COMPLETE)

        response = await anyio.to_thread.run_sync(
            lambda: admin_client.get("/v1/jobs", params={"status": "failed"})
        )

        assert response.status_code == 200
        body = response.json()
        assert [item["id"] for item in body["items"]] == [failed]
        item = body["items"][0]
        assert item["function"] == "test.broken"
        assert item["attempts"] == 3 and item["maxAttempts"] == 3
        assert "still broken" in item["error"]
        assert item["compensated"] is True
        assert item["arguments"] == {"order_id": "ord_5"}
        assert body["nextCursor"] is None

    async def test_retrying_a_failed_job_runs_it_again_with_fresh_attempts(
        self,
        queued_runtime: Runtime,
        worker: JobWorker,
        admin_client: TestClient,
        journal: Journal,
    ) -> None:
        key = await enqueue(queued_runtime, "test.broken", "ord_7")
        await wait_for_job(queued_runtime.queue, key, Status.FAILED)

        response = await anyio.to_thread.run_sync(
            lambda: admin_client.post(f"/v1/jobs/{key}/retry")
        )

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "queued"
        assert response.json()["attempts"] == 0
        await wait_for_job(queued_runtime.queue, key, Status.FAILED)
        job = await queued_runtime.queue.job(key)
        assert job is not None and job.attempts == 3
        assert len(journal.runs["broken:ord_7"]) == 6
        assert len(journal.compensations) == 2  # once per final failure

    async def test_the_list_pages_with_a_cursor(
        self, queued_runtime: Runtime, admin_client: TestClient
    ) -> None:
        keys = [await enqueue(queued_runtime, "test.ok", f"ord_p{i}") for i in range(5)]

        first = admin_client.get("/v1/jobs", params={"limit": 2}).json()
        second = admin_client.get(
            "/v1/jobs", params={"limit": 2, "cursor": first["nextCursor"]}
        ).json()
        third = admin_client.get(
            "/v1/jobs", params={"limit": 2, "cursor": second["nextCursor"]}
        ).json()

        listed = [i["id"] for page in (first, second, third) for i in page["items"]]
        assert listed == sorted(keys)
        assert third["nextCursor"] is None

    async def test_retrying_a_job_that_has_not_failed_is_a_conflict(
        self, queued_runtime: Runtime, admin_client: TestClient
    ) -> None:
        key = await enqueue(queued_runtime, "test.ok", "ord_8")

        response = admin_client.post(f"/v1/jobs/{key}/retry")

        assert response.status_code == 409
        assert "queued" in response.json()["detail"]

    async def test_retrying_an_unknown_job_is_not_found(
        self, queued_runtime: Runtime, admin_client: TestClient
    ) -> None:
        response = admin_client.post("/v1/jobs/payment:nope/retry")
        assert response.status_code == 404

    def test_only_admins_see_jobs(self, client_for: object, settings: Settings) -> None:
        customer = client_for("customer", "cus_1")  # type: ignore[operator]
        assert customer.get("/v1/jobs").status_code == 403
        assert customer.post("/v1/jobs/x/retry").status_code == 403

    def test_an_unknown_status_is_rejected(self, client_for: object) -> None:
        admin = client_for("admin", "admin-1")  # type: ignore[operator]
        assert admin.get("/v1/jobs", params={"status": "exploded"}).status_code == 422


class TestJobsCommand:
    async def test_jobs_list_and_retry_show_and_requeue_a_dead_letter(
        self,
        queued_runtime: Runtime,
        worker: JobWorker,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from typer.testing import CliRunner

        from orderflow import cli
        from orderflow.workers import cli as workers_cli

        monkeypatch.setattr(workers_cli, "get_settings", lambda: queued_runtime.settings)
        key = await enqueue(queued_runtime, "test.broken", "ord_cli")
        await wait_for_job(queued_runtime.queue, key, Status.FAILED)
        runner = CliRunner()

        listed = await anyio.to_thread.run_sync(
            lambda: runner.invoke(cli.app, ["jobs", "list", "--status", "failed"])
        )
        retried = await anyio.to_thread.run_sync(
            lambda: runner.invoke(cli.app, ["jobs", "retry", key])
        )
        again = await anyio.to_thread.run_sync(
            lambda: runner.invoke(cli.app, ["jobs", "retry", key])
        )

        assert listed.exit_code == 0, listed.output
        assert "test.broken" in listed.output and "3/3" in listed.output
        assert retried.exit_code == 0 and "queued again" in retried.output
        assert again.exit_code == 1  # now queued (or running): not a dead letter any more
