"""The contacts directory through HTTP on both stacks: kinds, prefix search, isolation, and the CLI."""

from __future__ import annotations

from tests.conftest import make_tenant
from tests.registry_helpers import API, contact, ok


def test_organisations_persons_positions_and_prefix_search(client, runtime):
    clerk = make_tenant(runtime)
    org = contact(client, clerk, kind="organisation", name="Service public de Wallonie", email="info@spw.example",
                  street="Place de la Wallonie 1", postal_code="5100", city="Namur", country="BE")
    person = contact(client, clerk, kind="person", first_name="Étienne", last_name="Dupré", email="ed@example.org")
    position = contact(client, clerk, kind="position", person_id=person["id"], organisation_id=org["id"],
                       role_title="Directeur", email="etienne.dupre@spw.example")
    assert person["name"] == "Étienne Dupré"
    assert position["name"] == "Étienne Dupré - Directeur (Service public de Wallonie)"
    assert org["address"] == {"street": "Place de la Wallonie 1", "postal_code": "5100", "city": "Namur",
                              "country": "BE"}

    def names(q, **params):
        found = ok(client.get(f"{API}/contacts", params={"q": q, **params}, headers=clerk.headers))
        return sorted(c["id"] for c in found["contacts"])

    # accents and case ignored, any of the names' starts
    assert names("dupre") == sorted([person["id"], position["id"]])
    assert names("ETI") == sorted([person["id"], position["id"]])
    assert names("service pub") == [org["id"]]
    assert names("wallonie") == []  # a prefix, not a substring of a word in the middle
    assert names("", kind="organisation") == [org["id"]]
    assert names("%") == [] and names("_") == []

    changed = ok(client.patch(f"{API}/contacts/{org['id']}", json={"city": "Jambes"}, headers=clerk.headers))
    assert changed["address"]["city"] == "Jambes"
    ok(client.delete(f"{API}/contacts/{person['id']}", headers=clerk.headers))
    assert names("dupre") == [position["id"]]
    assert person["id"] in names("dupre", include_inactive="true")


def test_bad_contacts_are_refused(client, runtime):
    clerk = make_tenant(runtime)
    for body, words in [
        ({"kind": "organisation"}, "needs a name"),
        ({"kind": "person", "email": "not-an-address", "last_name": "X"}, "invalid e-mail"),
        ({"kind": "position", "role_title": "Chef"}, "needs a person_id"),
        ({"kind": "robot", "name": "R2"}, "kind"),
    ]:
        response = client.post(f"{API}/contacts", json=body, headers=clerk.headers)
        assert response.status_code == 400, response.text
        assert words in response.json()["detail"]


def test_another_tenants_contacts_are_missing(client, runtime):
    mine, theirs = make_tenant(runtime), make_tenant(runtime)
    org = contact(client, theirs, name="Their organisation")
    person = contact(client, theirs, kind="person", last_name="Theirs")
    assert client.get(f"{API}/contacts/{org['id']}", headers=mine.headers).status_code == 404
    assert client.patch(f"{API}/contacts/{org['id']}", json={"city": "X"}, headers=mine.headers).status_code == 404
    assert client.delete(f"{API}/contacts/{org['id']}", headers=mine.headers).status_code == 404
    assert ok(client.get(f"{API}/contacts", params={"q": "their"}, headers=mine.headers))["contacts"] == []
    # nor can their contacts be linked into my positions
    my_person = contact(client, mine, kind="person", last_name="Mine")
    response = client.post(f"{API}/contacts", json={"kind": "position", "person_id": my_person["id"],
                                                   "organisation_id": org["id"]}, headers=mine.headers)
    assert response.status_code == 400 and "not a contact of this tenant" in response.json()["detail"]
    assert person["id"]


def test_archivists_read_the_directory_but_do_not_write_it(client, runtime):
    clerk = make_tenant(runtime)
    archivist = make_tenant(runtime, role="archivist", slug=clerk.slug)
    contact(client, clerk, name="Lisible")
    assert ok(client.get(f"{API}/contacts", params={"q": "lis"}, headers=archivist.headers))["contacts"]
    response = client.post(f"{API}/contacts", json={"kind": "organisation", "name": "X"}, headers=archivist.headers)
    assert response.status_code == 403
