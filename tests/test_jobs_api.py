"""Dead letters are visible with their error to the tenant's admin, and can be queued again."""

from __future__ import annotations

from dms import jobs
from dms.db import unit_of_work
from tests.conftest import make_tenant


def _dead_job(runtime, tenant_id: str) -> int:
    engine = runtime.backends.engine
    with unit_of_work(engine) as session:
        job = jobs.enqueue(session, "test-broken", {"file": "x"}, tenant_id=tenant_id, max_attempts=1)
    [claimed] = jobs.claim(engine, kinds=["test-broken"], ids=[job.id])

    def broken(_job):
        raise ValueError("PDF chiffré: impossible d'extraire le texte")

    assert not jobs.run_job(engine, claimed, {"test-broken": broken})
    return job.id


def test_admin_sees_and_retries_dead_jobs_of_the_tenant_only(client, runtime):
    admin = make_tenant(runtime, role="admin")
    clerk = make_tenant(runtime, role="clerk", slug=admin.slug)
    other = make_tenant(runtime, role="admin")
    job_id = _dead_job(runtime, admin.tenant_id)

    dead = client.get("/api/v1/jobs", params={"status": "dead"}, headers=admin.headers).json()["jobs"]
    assert [j["id"] for j in dead] == [job_id]
    assert dead[0]["error"] == "ValueError: PDF chiffré: impossible d'extraire le texte"
    assert client.get("/api/v1/jobs", params={"status": "dead"}, headers=other.headers).json()["jobs"] == []
    assert client.get("/api/v1/jobs", headers=clerk.headers).status_code == 403
    assert client.post(f"/api/v1/jobs/{job_id}/retry", headers=other.headers).status_code == 404

    assert client.post(f"/api/v1/jobs/{job_id}/retry", headers=admin.headers).json()["status"] == "queued"
    assert client.post(f"/api/v1/jobs/{job_id}/retry", headers=admin.headers).status_code == 404  # no longer dead
    queued = client.get("/api/v1/jobs", params={"status": "queued"}, headers=admin.headers).json()["jobs"]
    assert job_id in [j["id"] for j in queued]
