"""Number formats per tenant and register through HTTP on both stacks, and the registry's CLI."""

from __future__ import annotations

import pytest

from dms.errors import BadInput
from dms.register_settings import check_format
from tests.conftest import make_tenant
from tests.registry_helpers import API, colleague, mail, ok


def test_a_tenant_sets_its_number_format_per_register(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    admin = colleague(runtime, clerk, "admin")
    first = mail(client, clerk, tmp_path)
    assert first["reference"].startswith("E/") and first["reference"].endswith("/00001")
    formats = ok(client.get(f"{API}/register-settings", headers=clerk.headers))["formats"]
    assert formats["incoming"] == "{register}/{year}/{number:05d}"

    assert client.put(f"{API}/register-settings/incoming", json={"format": "{year}-{number}"},
                      headers=clerk.headers).status_code == 403
    for bad, words in [("{register}-{number}", "{year}"), ("{year}", "{number}"), ("{year}/{count}", "unknown"),
                       ("{year}/{number:q}", "invalid"), ("{year}/{number", "invalid")]:
        response = client.put(f"{API}/register-settings/incoming", json={"format": bad}, headers=admin.headers)
        assert response.status_code == 400, bad
        assert words in response.json()["detail"], (bad, response.json())
    ok(client.put(f"{API}/register-settings/incoming", json={"format": "CE-{year}-{number:06d}"},
                  headers=admin.headers))
    second = mail(client, clerk, tmp_path)
    assert second["reference"] == f"CE-{second['year']}-000002"  # the counter goes on, only the text changes
    assert mail(client, clerk, tmp_path, register="outgoing")["reference"].endswith("/00001")  # other register
    other = make_tenant(runtime)
    assert mail(client, other, tmp_path)["reference"].startswith("E/")  # other tenant


def test_format_checks():
    assert check_format(" {register}{year}{number:04d} ") == "{register}{year}{number:04d}"
    with pytest.raises(BadInput):
        check_format("{year}/{number:.0s}")
    with pytest.raises(BadInput):
        check_format("{year}" + "x" * 90 + "{number}")
    with pytest.raises(BadInput, match="widths"):
        check_format("{year}/{number:>999999999}")  # refused before anything is formatted


def test_registry_cli(cli, tmp_path):  # noqa: F811
    cli("tenant", "create", "ciney", "--name", "Ciney")
    cli("user", "create", "agent@ciney.be", "--tenant", "ciney", "--role", "agent")
    org = cli("contact", "create", "organisation", "--tenant", "ciney", "--name", "SPW Mobilité",
              "--email", "mobilite@spw.example", "--city", "Namur").stdout.split("\t")[0]
    person = cli("contact", "create", "person", "--tenant", "ciney", "--first-name", "Luc",
                 "--last-name", "Marchal").stdout.split("\t")[0]
    cli("contact", "create", "position", "--tenant", "ciney", "--person", person, "--organisation", org,
        "--role-title", "Inspecteur")
    listed = cli("contact", "list", "--tenant", "ciney", "marc").stdout
    assert "Luc Marchal\t" in listed and "Luc Marchal - Inspecteur (SPW Mobilité)" in listed
    assert cli("contact", "list", "--tenant", "ciney", "luc").stdout.count("\n") == 2  # the person, the position
    bad = cli("contact", "create", "organisation", "--tenant", "ciney", ok=False)
    assert bad.returncode == 1 and bad.stderr.strip() == "dms: error: an organisation needs a name"

    cli("service", "create", "travaux", "--tenant", "ciney", "--name", "Travaux")
    cli("user", "add-service", "agent@ciney.be", "travaux", "--tenant", "ciney")
    assert "lettre\tLettre" in cli("mail-type", "list", "--tenant", "ciney").stdout
    cli("number-format", "set", "incoming", "CIN/{year}/{number:04d}", "--tenant", "ciney")
    assert "incoming\tCIN/{year}/{number:04d}" in cli("number-format", "show", "--tenant", "ciney").stdout

    letter = tmp_path / "lettre.txt"
    letter.write_text("Madame, nous vous écrivons au sujet de la voirie.\n", encoding="utf-8")
    reference, record_id = cli("ingest", str(letter), "--tenant", "ciney").stdout.split("\t")[:2]
    assert reference.startswith("CIN/") and reference.endswith("/0001")
    assert cli("record", "transition", record_id, "proposed_to_manager", "--tenant", "ciney",
               "--comment", "à voir").stdout.strip() == f"{reference}\tproposed_to_manager"
    refused = cli("record", "transition", record_id, "closed", "--tenant", "ciney", ok=False)
    assert refused.returncode == 1 and "cannot go from proposed_to_manager to closed" in refused.stderr
    assert cli("record", "cancel", record_id, "--tenant", "ciney", "--reason", "doublon").stdout.strip() \
        == f"{reference}\tcancelled"
