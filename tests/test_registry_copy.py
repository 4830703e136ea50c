"""An embedded installation with the mail registry in use moves to the production stack whole: contacts
(positions before their persons in storage order), services and members, records answering later records,
notes, workflow history, number formats."""

from __future__ import annotations

from sqlmodel import func, select

from dms import contacts, records, register_settings, tenant_services, workflow
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.installation_copy import copy_installation
from dms.models import Contact, RecordNote, RecordTransition, RegisterKind, Role, User
from dms.searching import search_records
from ingest.runtime import open_runtime
from tests.conftest import make_tenant
from tests.test_copy_installation import empty_production  # noqa: F401 (fixture)


def test_registry_rows_survive_copy_installation(embedded_runtime, empty_production):  # noqa: F811
    source = embedded_runtime
    clerk = make_tenant(source)
    agent = make_tenant(source, role="agent", slug=clerk.slug)
    tenant = clerk.tenant_id
    admin = Principal(user_id=None, email="cli", role=Role.admin, tenant_id=tenant)
    with unit_of_work(source.backends.engine) as session:
        service = tenant_services.create(session, tenant, None, "urbanisme", "Urbanisme")
        tenant_services.add_member(session, tenant, None, agent.email, "urbanisme")
        org = contacts.create(session, tenant, None, "organisation", {"name": "SPW"})
        person = contacts.create(session, tenant, None, "person", {"last_name": "Lambert"})
        position = contacts.create(session, tenant, None, "position",
                                   {"person_id": person.id, "organisation_id": org.id, "role_title": "Chef"})
        contacts.update(session, tenant, None, person.id, {"first_name": "Anne"})  # a newer row version
        contacts.update(session, tenant, None, org.id, {"city": "Namur"})
        register_settings.set_format(session, tenant, None, RegisterKind.incoming, "E-{year}-{number:04d}")
        first = records.register(session, tenant, None, records.NewRecord(
            subject="Demande de permis", sender_id=position.id, treating_service_id="urbanisme",
            mail_type="lettre")).record
        second = records.register(session, tenant, None, records.NewRecord(
            subject="Réponse", register=RegisterKind.outgoing, recipient_ids=[position.id])).record
        records.update(session, tenant, None, first.id, {"reply_to_id": second.id})  # answers a later record
        workflow.transition(session, admin, first.id, "proposed_to_manager", "à voir")
        workflow.add_note(session, admin, first.id, "Dossier incomplet.")
    first_ref = first.reference
    assert first_ref.startswith("E-") and first_ref.endswith("-0001")

    target = open_runtime(empty_production)
    report = copy_installation(source.backends, target.backends)
    assert report.rows["contacts"] == 3 and report.rows["user_services"] == 1 and report.rows["records"] == 2

    with unit_of_work(target.backends.engine, write=False) as session:
        copied = records.get(session, tenant, first.id)
        assert copied.reply_to_id == second.id and copied.sender_id == position.id
        assert copied.treating_service_id == service.id and copied.status == "proposed_to_manager"
        assert session.exec(select(func.count()).select_from(Contact).where(Contact.tenant_id == tenant)).one() == 3
        assert session.exec(select(func.count()).select_from(RecordNote)
                            .where(RecordNote.record_id == first.id)).one() == 1
        assert session.exec(select(func.count()).select_from(RecordTransition)
                            .where(RecordTransition.record_id == first.id)).one() == 1
        assert register_settings.format_of(session, tenant, RegisterKind.incoming) == "E-{year}-{number:04d}"
        agent_id = session.exec(select(User.id).where(User.email == agent.email)).one()
        agent_principal = Principal(user_id=agent_id, email=agent.email, role=Role.agent, tenant_id=tenant)
        found = search_records(session, target.backends.search, tenant, "permis",
                               services=tenant_services.restricted_to(session, agent_principal))
        assert [hit["id"] for hit in found["hits"]] == [first.id]
