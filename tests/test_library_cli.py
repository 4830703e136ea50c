"""`dms library …` end to end in a subprocess, as the region and two communes would type it (embedded stack)."""

from __future__ import annotations

import json

from ingest import samples
from tests.library_fixtures import png, reply_docx


def test_publish_label_adopt_render_export_import(cli, tmp_path):
    cli("tenant", "create", "alpha", "--name", "Commune d'Alpha")
    cli("tenant", "create", "beta", "--name", "Commune de Beta")
    template = tmp_path / "reponse.docx"
    template.write_bytes(reply_docx())
    done = cli("library", "publish", str(template), "--tenant", "alpha", "--kind", "letter_template",
               "--version", "1.0.0", "--title", "Accusé de réception", "--slug", "accuse-reception")
    assert done.stdout.startswith("accuse-reception 1.0.0 published") and "EUPL-1.2" in done.stdout

    again = cli("library", "publish", str(template), "--tenant", "alpha", "--item", "accuse-reception",
                "--version", "1.0.0", ok=False)
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "already exists" in again.stderr

    cli("library", "submit", "accuse-reception", "1.0.0", "--tenant", "alpha")
    assert "accuse-reception\t1.0.0\tsubmitted\talpha" in cli("library", "reviews").stdout
    cli("library", "review", "accuse-reception", "1.0.0", "--to", "in_review")
    assert "labelled" in cli("library", "review", "accuse-reception", "1.0.0", "--to", "labelled").stdout

    found = cli("library", "search", "accusé", "--filter", "label:labelled").stdout
    assert "1 item(s)" in found and "accuse-reception\tletter_template\t1.0.0 [labelled]\talpha" in found

    logo = tmp_path / "beta.png"
    logo.write_bytes(png((0, 0, 255)))
    shown = json.loads(cli("library", "branding", "--tenant", "beta", "--set", "street=Rue Haute 1",
                           "--signatory", "Jean Bourgmestre|Bourgmestre", "--logo", str(logo)).stdout)
    assert shown["fields"]["name"] == "Commune de Beta" and shown["logo"] == "commune"
    assert "adopted" in cli("library", "adopt", "accuse-reception", "--tenant", "beta").stdout
    assert "up to date" in cli("library", "adoptions", "--tenant", "beta").stdout

    scans = tmp_path / "scans"
    scans.mkdir()
    samples.write_pdf(samples.letter_text(1), scans / "lettre.pdf")
    reference, record_id, _path = cli("ingest", str(scans), "--tenant", "beta").stdout.strip().split("\t")
    reply = cli("library", "render", "accuse-reception", "--tenant", "beta", "--record", record_id).stdout
    assert reply.startswith("S/") and f"reply to {reference}" in reply

    page = json.loads(cli("library", "show", "accuse-reception").stdout)
    assert [(u["slug"], u["version"]) for u in page["used_by"]] == [("beta", "1.0.0")]

    archive = tmp_path / "item.zip"
    cli("library", "export", "accuse-reception", "--output", str(archive))
    refused = cli("library", "import", str(archive), "--tenant", "beta", ok=False)
    assert refused.returncode == 1 and "already exists" in refused.stderr
