"""Workflow, agents' visibility and cancellation through HTTP on both stacks."""

from __future__ import annotations

import json

from sqlmodel import select

from dms.db import unit_of_work
from dms.models import AuditEvent
from tests.conftest import make_tenant
from tests.registry_helpers import API, colleague, contact, mail, ok, service


def move(client, user, record_id, to, comment="", status=200):
    response = client.post(f"{API}/records/{record_id}/transitions", json={"to": to, "comment": comment},
                           headers=user.headers)
    assert response.status_code == status, response.text
    return response.json()


def statuses(client, user, status):
    found = ok(client.get(f"{API}/search", params={"filter": f"status:{status}"}, headers=user.headers))
    return [hit["id"] for hit in found["hits"]]


def test_incoming_workflow_with_back_steps_closing_rules_and_reopening(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    admin = colleague(runtime, clerk, "admin")
    service(client, admin, "travaux")
    record = mail(client, clerk, tmp_path)
    rid = record["id"]
    assert record["status"] == "created"

    # illegal step: 409 with the allowed next states
    response = client.post(f"{API}/records/{rid}/transitions", json={"to": "closed"}, headers=clerk.headers)
    assert response.status_code == 409
    assert response.json()["allowed"] == ["proposed_to_manager"]
    assert client.post(f"{API}/records/{rid}/transitions", json={"to": "nowhere"},
                       headers=clerk.headers).status_code == 409

    move(client, clerk, rid, "proposed_to_manager", "pour le directeur général")
    move(client, clerk, rid, "proposed_to_agent")
    move(client, clerk, rid, "proposed_to_manager", "mauvais service")  # back
    move(client, clerk, rid, "proposed_to_agent")
    answer = move(client, clerk, rid, "in_treatment")
    assert answer["status"] == "in_treatment" and "closed" in answer["next_states"]
    assert statuses(client, clerk, "in_treatment") == [rid]

    # closing needs a sender, a treating service and a mail type: 400 naming the missing ones
    response = client.post(f"{API}/records/{rid}/transitions", json={"to": "closed"}, headers=clerk.headers)
    assert response.status_code == 400
    assert response.json()["detail"] == "cannot close: missing sender, treating service, mail type"
    assert response.json()["missing"] == ["sender", "treating service", "mail type"]
    ok(client.patch(f"{API}/records/{rid}", json={"sender_id": contact(client, clerk)["id"], "mail_type": "lettre"},
                    headers=clerk.headers))
    response = client.post(f"{API}/records/{rid}/transitions", json={"to": "closed"}, headers=clerk.headers)
    assert response.status_code == 400 and response.json()["missing"] == ["treating service"]
    ok(client.patch(f"{API}/records/{rid}", json={"treating_service_id": "travaux"}, headers=clerk.headers))
    move(client, clerk, rid, "closed", "réponse envoyée")
    assert statuses(client, clerk, "closed") == [rid] and statuses(client, clerk, "in_treatment") == []

    # reopening is an admin's
    move(client, clerk, rid, "in_treatment", status=403)
    move(client, admin, rid, "in_treatment", "rouvert à la demande du citoyen")

    history = ok(client.get(f"{API}/records/{rid}/transitions", headers=clerk.headers))
    assert [(h["from"], h["to"]) for h in history["history"]] == [
        ("created", "proposed_to_manager"), ("proposed_to_manager", "proposed_to_agent"),
        ("proposed_to_agent", "proposed_to_manager"), ("proposed_to_manager", "proposed_to_agent"),
        ("proposed_to_agent", "in_treatment"), ("in_treatment", "closed"), ("closed", "in_treatment"),
    ]
    assert history["history"][0]["comment"] == "pour le directeur général"
    with unit_of_work(runtime.backends.engine, write=False) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.object_id == rid,
                                                       AuditEvent.action == "record.transition")
                              .order_by(AuditEvent.seq)).all()
    assert len(events) == 7
    last = json.loads(events[-1].data)
    assert last["from"] == "closed" and last["to"] == "in_treatment" and last["actor"] == admin.email
    assert last["comment"] == "rouvert à la demande du citoyen" and events[-1].actor_id is not None


def test_outgoing_workflow(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    rid = mail(client, clerk, tmp_path, register="outgoing")["id"]
    move(client, clerk, rid, "signed", status=409)
    move(client, clerk, rid, "to_be_signed")
    move(client, clerk, rid, "created")  # back
    for step in ("to_be_signed", "signed", "sent", "closed"):
        move(client, clerk, rid, step)
    move(client, clerk, rid, "proposed_to_manager", status=409)


def test_agents_see_and_act_on_their_services_mail_only(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    admin = colleague(runtime, clerk, "admin")
    agent = colleague(runtime, clerk, "agent")
    service(client, admin, "urbanisme")
    service(client, admin, "finances")
    service(client, admin, "population")
    ok(client.post(f"{API}/services/urbanisme/members", json={"user": agent.email}, headers=admin.headers), 201)
    theirs = mail(client, clerk, tmp_path, treating_service="urbanisme")
    in_copy = mail(client, clerk, tmp_path, treating_service="population", copy_services=["urbanisme"])
    other = mail(client, clerk, tmp_path, treating_service="finances")
    unrouted = mail(client, clerk, tmp_path)

    for record in (theirs, in_copy):
        assert ok(client.get(f"{API}/records/{record['id']}", headers=agent.headers))["id"] == record["id"]
    for record in (other, unrouted):
        assert client.get(f"{API}/records/{record['id']}", headers=agent.headers).status_code == 404
        assert client.get(f"{API}/records/{record['id']}/metadata", headers=agent.headers).status_code == 404
        assert client.get(f"{API}/records/{record['id']}/suggestions", headers=agent.headers).status_code == 404
        assert client.get(f"{API}/records/{record['id']}/notes", headers=agent.headers).status_code == 404
        file_id = record["files"][0]["id"]
        assert client.get(f"{API}/records/{record['id']}/files/{file_id}",
                          headers=agent.headers).status_code == 404
        response = client.post(f"{API}/records/{record['id']}/transitions", json={"to": "proposed_to_manager"},
                               headers=agent.headers)
        assert response.status_code == 404
        assert client.post(f"{API}/records/{record['id']}/notes", json={"text": "x"},
                           headers=agent.headers).status_code == 404

    found = ok(client.get(f"{API}/search", params={"q": "voirie"}, headers=agent.headers))
    assert sorted(h["id"] for h in found["hits"]) == sorted([theirs["id"], in_copy["id"]])
    assert found["total"] == 2
    # asking for another service's mail by filter finds nothing
    finances_id = other["treating_service_id"]
    found = ok(client.get(f"{API}/search", params={"filter": f"service:{finances_id}"}, headers=agent.headers))
    assert found["total"] == 0
    # clerks see everything
    assert ok(client.get(f"{API}/search", params={"q": "voirie"}, headers=clerk.headers))["total"] == 4

    # the agent treats their mail, and adds notes (append-only)
    move(client, clerk, theirs["id"], "proposed_to_manager")
    move(client, clerk, theirs["id"], "proposed_to_agent")
    move(client, agent, theirs["id"], "in_treatment", "je m'en occupe")
    ok(client.post(f"{API}/records/{theirs['id']}/notes", json={"text": "Appelé le demandeur."},
                   headers=agent.headers), 201)
    ok(client.post(f"{API}/records/{theirs['id']}/notes", json={"text": "Dossier complet."},
                   headers=clerk.headers), 201)
    notes = ok(client.get(f"{API}/records/{theirs['id']}/notes", headers=agent.headers))["notes"]
    assert [n["text"] for n in notes] == ["Appelé le demandeur.", "Dossier complet."]
    assert notes[0]["author_id"] and notes[0]["created_at"]

    # rerouted away from their service: gone for the agent, at once and in search
    ok(client.patch(f"{API}/records/{theirs['id']}", json={"treating_service_id": "finances"},
                    headers=clerk.headers))
    assert client.get(f"{API}/records/{theirs['id']}", headers=agent.headers).status_code == 404
    found = ok(client.get(f"{API}/search", params={"q": "voirie"}, headers=agent.headers))
    assert [h["id"] for h in found["hits"]] == [in_copy["id"]]

    # an agent with no service sees nothing
    lonely = colleague(runtime, clerk, "agent")
    assert ok(client.get(f"{API}/search", params={"q": "voirie"}, headers=lonely.headers))["total"] == 0


def test_another_tenants_records_are_missing_for_workflow_notes_and_cancel(client, runtime, tmp_path):
    mine, theirs = make_tenant(runtime), make_tenant(runtime)
    record = mail(client, theirs, tmp_path)
    for path, body in [("transitions", {"to": "proposed_to_manager"}), ("notes", {"text": "x"}),
                       ("cancel", {"reason": "x"})]:
        assert client.post(f"{API}/records/{record['id']}/{path}", json=body, headers=mine.headers).status_code == 404
    assert client.get(f"{API}/records/{record['id']}/transitions", headers=mine.headers).status_code == 404


def test_cancellation_keeps_the_number_and_only_an_admin_undoes_it(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    admin = colleague(runtime, clerk, "admin")
    agent = colleague(runtime, clerk, "agent")
    record = mail(client, clerk, tmp_path)
    rid = record["id"]
    assert client.post(f"{API}/records/{rid}/cancel", json={"reason": " "}, headers=clerk.headers).status_code == 400
    assert client.post(f"{API}/records/{rid}/cancel", json={"reason": "x"}, headers=agent.headers).status_code == 403
    cancelled = ok(client.post(f"{API}/records/{rid}/cancel", json={"reason": "enregistré deux fois"},
                               headers=clerk.headers))
    assert cancelled["cancelled"] is True and cancelled["cancel_reason"] == "enregistré deux fois"
    assert cancelled["reference"] == record["reference"] and cancelled["next_states"] == []
    assert client.post(f"{API}/records/{rid}/cancel", json={"reason": "again"},
                       headers=clerk.headers).status_code == 409
    move(client, clerk, rid, "proposed_to_manager", status=409)
    assert client.patch(f"{API}/records/{rid}", json={"subject": "x"}, headers=clerk.headers).status_code == 409
    assert statuses(client, clerk, "cancelled") == [rid]
    # the number is not reused
    assert mail(client, clerk, tmp_path)["number"] == record["number"] + 1

    assert client.post(f"{API}/records/{rid}/uncancel", json={"reason": "erreur"},
                       headers=clerk.headers).status_code == 403
    back = ok(client.post(f"{API}/records/{rid}/uncancel", json={"reason": "erreur de manipulation"},
                          headers=admin.headers))
    assert back["cancelled"] is False and back["status"] == "created"
    assert statuses(client, clerk, "created") and rid in statuses(client, clerk, "created")
    with unit_of_work(runtime.backends.engine, write=False) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_id == rid)
                               .order_by(AuditEvent.seq)).all()
    assert actions[-2:] == ["record.cancelled", "record.uncancelled"]
