"""Route-matrix cases for retention, holds and the audit export (issue 7); appended to CASES by
tests/route_matrix_cases.py. The objects they need (a plan, schedules, batches in each state, holds) are
made lazily through the service functions, once per world, or fresh for each call meant to succeed."""

from __future__ import annotations

import uuid
from datetime import date

from dms import disposition, holds, retention, retention_schedules
from dms.db import unit_of_work
from dms.models import RecordRetention
from tests.retention_data import ARCHIVES, KEEP, PERMITS, PLAN_TTL, SCHEDULES_CSV, SCRAP
from tests.route_matrix_cases import API, Call, Case, World, lacks
from tests.thesaurus_service_data import import_text

ARCHIVISTS = ("archivist", "admin")
LONG_AGO = date(2001, 1, 1)


def _tenant_a(w: World) -> str:
    return w.actor("A", "archivist").user.tenant_id


def _setup(w: World) -> None:
    if "retention_ready" in w.objects:
        return
    import_text(w.runtime, PLAN_TTL)
    with unit_of_work(w.runtime.backends.engine) as session:
        retention_schedules.import_csv(session, _tenant_a(w), None, SCHEDULES_CSV.encode())
        # cut-off based, so a record closed long ago is due at once
        retention_schedules.put_schedule(session, _tenant_a(w), None, class_uri=SCRAP, trigger="closed",
                                         period="P1Y", final_action="DESTROY")
        schedule = retention_schedules.put_schedule(session, _tenant_a(w), None, class_uri=KEEP,
                                                    trigger="registered", period="P30Y",
                                                    final_action="RETAIN_PERMANENTLY")
        w.objects["schedule_A"] = {"id": schedule.id}
        hold = holds.place(session, _tenant_a(w), None, name=f"Gel {uuid.uuid4().hex[:6]}", reason="matrice",
                           record_ids=[w["record_A"]["id"]])
        w.objects["hold_A"] = {"id": hold.id}
    w.objects["batch_A"] = {"id": _batch(w, "PROPOSED")}
    w.objects["retention_ready"] = True


def _classified_record(w: World, class_uri: str) -> str:
    record = w.upload("A", classification=class_uri)
    with unit_of_work(w.runtime.backends.engine) as session:
        retention.close(session, _tenant_a(w), None, record["id"], LONG_AGO)
    return record["id"]


def _batch(w: World, state: str, class_uri: str = SCRAP) -> str:
    """A fresh batch of A in ``state`` (one new record due long ago, swept into it)."""
    record_id = _classified_record(w, class_uri)
    engine, tenant_id = w.runtime.backends.engine, _tenant_a(w)
    retention.sweep(engine, tenant_id)
    with unit_of_work(engine, write=False) as session:
        batch_id = session.get(RecordRetention, record_id).batch_id
    steps = [("APPROVED", lambda s: disposition.approve(s, tenant_id, None, batch_id)),
             ("AWAITING_AUTHORIZATION", lambda s: disposition.request_authorization(
                 s, tenant_id, None, batch_id, schema_dir=w.runtime.settings.seda_schema_dir)),
             ("AUTHORIZED", lambda s: disposition.authorize(s, tenant_id, None, batch_id, "AE/MATRICE/1"))]
    for name, step in steps:
        if state == "PROPOSED":
            break
        with unit_of_work(engine) as session:
            step(session)
        if name == state:
            break
    if state == "EXECUTED":
        disposition.execute(w.runtime.backends, tenant_id, None, batch_id,
                            schema_dir=w.runtime.settings.seda_schema_dir)
    assert batch_id, "the fresh record was not proposed"
    return batch_id


def _review_record(w: World) -> str:
    """A fresh record in REVIEW: its batch was given back."""
    batch_id = _batch(w, "PROPOSED")
    with unit_of_work(w.runtime.backends.engine) as session:
        ids = disposition.member_ids(session, batch_id)
        disposition.restore(session, _tenant_a(w), None, batch_id, "matrice")
    return ids[0]


def _standing(name: str):
    def pick(w: World) -> str:
        _setup(w)
        return w[name]["id"]

    return pick


def _call(method: str, url, body=None, fresh=None, **params):
    """``url(w, ident)``; ``fresh(w)`` makes the object a succeeding call consumes, else the standing one."""

    def build(w: World, a, ok: bool) -> Call:
        _setup(w)
        ident = fresh(w) if (ok and fresh) else None
        json = body(w) if callable(body) else body
        return Call(method, url(w, ident), json=json, params=params or None)

    return build


def _record_url(suffix: str, fresh=None):
    return lambda w, ident: f"{API}/retention/records/{ident or w['record_A']['id']}{suffix}"


def _batch_url(suffix: str):
    return lambda w, ident: f"{API}/retention/batches/{ident or w['batch_A']['id']}{suffix}"


def _hold_url(suffix: str = ""):
    return lambda w, ident: f"{API}/holds/{ident or w['hold_A']['id']}{suffix}"


def _fresh_hold(used: bool = True):
    def make(w: World) -> str:
        with unit_of_work(w.runtime.backends.engine) as session:
            if used:
                hold = holds.place(session, _tenant_a(w), None, name="Gel frais", record_ids=[w["record_A"]["id"]])
            else:
                hold = holds.place(session, _tenant_a(w), None, name="Gel vide", query="rien", query_ids=[])
            return hold.id

    return make


def _fresh_schedule(w: World) -> str:
    with unit_of_work(w.runtime.backends.engine) as session:
        return retention_schedules.put_schedule(session, _tenant_a(w), None, class_uri=PERMITS, trigger="closed",
                                                period="P6M", final_action="TRANSFER").id


def _csv_import(w: World, a, ok: bool) -> Call:
    _setup(w)
    return Call("POST", f"{API}/retention/schedules/import",
                files={"file": ("tri.csv", SCHEDULES_CSV.encode(), "text/csv")})


def _has_id(name: str, key: str):
    def check(w: World, a, response) -> None:
        assert w[name]["id"] in [x["id"] for x in response.json()[key]], response.text[:300]

    return check


def _lacks_ids(*names: str):
    def check(w: World, a, response) -> None:
        for name in names:
            assert w[name]["id"] not in response.text, f"{a.label} sees {name}"

    return check


def _audit_ok(w: World, a, response) -> None:
    assert w["record_A"]["id"] in response.text and '"hash"' in response.text


def _state_is(expected: str):
    def check(w: World, a, response) -> None:
        assert response.json()["state"] == expected, response.text[:300]

    return check


_N_A = "n/a: acts on the caller's own tenant only; nothing of another tenant is named"

CASES: list[Case] = [
    Case("GET", f"{API}/retention/schedules", ARCHIVISTS, _call("GET", lambda w, i: f"{API}/retention/schedules"),
         check=_has_id("schedule_A", "schedules"), cross="absent", absent=_lacks_ids("schedule_A")),
    Case("POST", f"{API}/retention/schedules", ARCHIVISTS,
         _call("POST", lambda w, i: f"{API}/retention/schedules",
               {"class": ARCHIVES, "trigger": "closed", "period": "P1Y", "final_action": "DESTROY"}),
         status=201, cross=_N_A + " (a class is regional; the schedule is the caller's)"),
    Case("DELETE", f"{API}/retention/schedules/{{schedule_id}}", ARCHIVISTS,
         _call("DELETE", lambda w, i: f"{API}/retention/schedules/{i or w['schedule_A']['id']}",
               fresh=_fresh_schedule)),
    Case("GET", f"{API}/retention/schedules/export", ARCHIVISTS,
         _call("GET", lambda w, i: f"{API}/retention/schedules/export"),
         check=lambda w, a, r: "DESTROY" in r.text, cross="absent", absent=lambda w, a, r: "P30Y" not in r.text),
    Case("POST", f"{API}/retention/schedules/import", ARCHIVISTS, _csv_import, check=lambda w, a, r: r.json() == {
        "lines": 3}, cross=_N_A),
    Case("GET", f"{API}/retention/records/{{record_id}}", ARCHIVISTS, _call("GET", _record_url("")),
         check=lambda w, a, r: r.json()["record_id"] == w["record_A"]["id"]),
    Case("POST", f"{API}/retention/records/{{record_id}}/close", ARCHIVISTS,
         _call("POST", _record_url("/close"), {}, fresh=lambda w: w.fresh_record()["id"]),
         check=lambda w, a, r: r.json()["state"] == "CLOSED"),
    Case("POST", f"{API}/retention/records/{{record_id}}/events", ARCHIVISTS,
         _call("POST", _record_url("/events"), {"name": "contract_end", "occurred_on": "2020-01-01"},
               fresh=lambda w: w.fresh_record()["id"]),
         status=201, check=lambda w, a, r: r.json()["events"][0]["name"] == "contract_end"),
    Case("POST", f"{API}/retention/records/{{record_id}}/review", ARCHIVISTS,
         _call("POST", _record_url("/review"), {"decision": "RETAIN"}, fresh=_review_record),
         check=lambda w, a, r: r.json()["state"] == "RETAINED"),
    Case("GET", f"{API}/retention/summary", ARCHIVISTS, _call("GET", lambda w, i: f"{API}/retention/summary"),
         check=lambda w, a, r: r.json()["states"]["IN_BATCH"] >= 1, cross="absent",
         absent=lambda w, a, r: r.json()["states"].get("IN_BATCH", 0) == 0),
    Case("POST", f"{API}/retention/sweep", ARCHIVISTS, _call("POST", lambda w, i: f"{API}/retention/sweep", {}),
         cross=_N_A),
    Case("GET", f"{API}/retention/batches", ARCHIVISTS, _call("GET", lambda w, i: f"{API}/retention/batches"),
         check=_has_id("batch_A", "batches"), cross="absent", absent=_lacks_ids("batch_A")),
    Case("GET", f"{API}/retention/batches/{{batch_id}}", ARCHIVISTS, _call("GET", _batch_url("")),
         check=lambda w, a, r: r.json()["count"] >= 1),
    Case("POST", f"{API}/retention/batches/{{batch_id}}/approve", ARCHIVISTS,
         _call("POST", _batch_url("/approve"), fresh=lambda w: _batch(w, "PROPOSED")), check=_state_is("APPROVED")),
    Case("POST", f"{API}/retention/batches/{{batch_id}}/authorization-request", ARCHIVISTS,
         _call("POST", _batch_url("/authorization-request"), fresh=lambda w: _batch(w, "APPROVED")),
         check=lambda w, a, r: b"AuthorizationControlAuthorityRequest" in r.content),
    Case("POST", f"{API}/retention/batches/{{batch_id}}/authorize", ARCHIVISTS,
         _call("POST", _batch_url("/authorize"), {"reference": "AE/2026/7"},
               fresh=lambda w: _batch(w, "AWAITING_AUTHORIZATION")), check=_state_is("AUTHORIZED")),
    Case("POST", f"{API}/retention/batches/{{batch_id}}/restore", ARCHIVISTS,
         _call("POST", _batch_url("/restore"), {"reason": "matrice"}, fresh=lambda w: _batch(w, "PROPOSED")),
         check=_state_is("RESTORED")),
    Case("POST", f"{API}/retention/batches/{{batch_id}}/execute", ARCHIVISTS,
         _call("POST", _batch_url("/execute"), fresh=lambda w: _batch(w, "AUTHORIZED")),
         check=_state_is("EXECUTED")),
    Case("POST", f"{API}/retention/batches/{{batch_id}}/accession", ARCHIVISTS,
         _call("POST", _batch_url("/accession"), {"reference": "AE-NAMUR/1"},
               fresh=lambda w: _batch(w, "EXECUTED", PERMITS)), check=_state_is("ACCESSIONED")),
    Case("GET", f"{API}/holds", ARCHIVISTS, _call("GET", lambda w, i: f"{API}/holds"),
         check=_has_id("hold_A", "holds"), cross="absent", absent=_lacks_ids("hold_A")),
    Case("POST", f"{API}/holds", ARCHIVISTS,
         _call("POST", lambda w, i: f"{API}/holds",
               lambda w: {"name": "Litige", "reason": "matrice", "record_ids": [w["record_A"]["id"]]}),
         status=201, check=lambda w, a, r: r.json()["records"] == [w["record_A"]["id"]]),
    Case("GET", f"{API}/holds/{{hold_id}}", ARCHIVISTS, _call("GET", _hold_url()),
         check=lambda w, a, r: w["record_A"]["id"] in r.json()["records"]),
    Case("POST", f"{API}/holds/{{hold_id}}/records", ARCHIVISTS,
         _call("POST", _hold_url("/records"), lambda w: {"record_ids": [w["record_A"]["id"]]}),
         check=lambda w, a, r: w["record_A"]["id"] in r.json()["records"]),
    Case("POST", f"{API}/holds/{{hold_id}}/lift", ARCHIVISTS,
         _call("POST", _hold_url("/lift"), {"reason": "fin"}, fresh=_fresh_hold()),
         check=lambda w, a, r: r.json()["active"] is False),
    Case("DELETE", f"{API}/holds/{{hold_id}}", ARCHIVISTS,
         _call("DELETE", _hold_url(), fresh=_fresh_hold(used=False))),
    Case("GET", f"{API}/audit/export", ARCHIVISTS, _call("GET", lambda w, i: f"{API}/audit/export"),
         check=_audit_ok, cross="absent", absent=lacks("record_A")),
]
