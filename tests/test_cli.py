"""The CLI end to end in a subprocess, as an administrator would type it, on the embedded defaults."""

from __future__ import annotations

import json
import shutil

from ingest import samples


def test_set_up_a_commune_ingest_and_search(cli, tmp_path):
    cli("tenant", "create", "namur", "--name", "Ville de Namur")
    cli("user", "create", "greffe@namur.be", "--tenant", "namur", "--role", "clerk")
    token = cli("token", "create", "greffe@namur.be").stdout
    assert token.strip().startswith("dms_") and token.count("\n") == 1

    folder = tmp_path / "scans"
    folder.mkdir()
    for seed in range(3):
        samples.write_pdf(samples.letter_text(seed), folder / f"scan-{seed}.pdf")
    shutil.copyfile(folder / "scan-0.pdf", folder / "scan-0-copie.pdf")
    shutil.copyfile("/bin/true", folder / "facture.pdf")
    done = cli("ingest", str(folder), "--tenant", "namur")
    assert "imported 3, duplicates 1, refused 1" in done.stderr
    assert "facture.pdf" in done.stderr
    assert done.stdout.count("E/") == 3

    letter = samples.letter_text(0)
    word = letter.surname
    result = json.loads(cli("search", word, "--tenant", "namur", "--json").stdout)
    assert result["total"] >= 1
    assert any("<mark>" in h for hit in result["hits"] for h in hit["highlights"])
    plain = cli("search", word, "--tenant", "namur").stdout
    assert "result(s)" in plain and "E/" in plain

    assert "intact" in cli("audit", "verify").stdout


def test_errors_are_one_line_and_non_zero(cli, tmp_path):
    cli("tenant", "create", "liege")
    again = cli("tenant", "create", "liege", ok=False)
    assert again.returncode != 0
    assert again.stderr.strip().count("\n") == 0 and "already exists" in again.stderr
    bad_role = cli("user", "create", "x@liege.be", "--tenant", "liege", "--role", "pirate", ok=False)
    assert bad_role.returncode != 0 and "unknown role" in bad_role.stderr
    missing = cli("ingest", str(tmp_path / "nope.pdf"), "--tenant", "liege", ok=False)
    assert missing.returncode != 0 and "no such file" in missing.stderr
    unknown_tenant = cli("search", "permis", "--tenant", "atlantis", ok=False)
    assert unknown_tenant.returncode != 0 and "atlantis" in unknown_tenant.stderr


def test_demo_is_idempotent_and_prints_a_working_token(cli):
    first = cli("demo", "--letters", "2")
    assert first.stdout.strip().startswith("dms_") and "2 new letter(s)" in first.stderr
    second = cli("demo", "--letters", "2")
    assert "0 new letter(s)" in second.stderr and second.stdout.strip() != first.stdout.strip()
    found = json.loads(cli("search", "", "--tenant", "demo", "--json").stdout)
    assert found["total"] == 2


def test_fsck_passes_on_a_healthy_installation_and_fails_on_a_lost_blob(cli, tmp_path):
    cli("tenant", "create", "mons")
    path = tmp_path / "scan.pdf"
    samples.write_pdf(samples.letter_text(5), path)
    cli("ingest", str(path), "--tenant", "mons")
    assert "checked 1 blob(s)" in cli("fsck").stdout
    blob = next(p for p in (tmp_path / "var" / "blobs").rglob("*") if p.is_file() and ".tmp" not in p.parts)
    blob.unlink()
    broken = cli("fsck", ok=False)
    assert broken.returncode != 0 and "missing:" in broken.stderr and "1 missing" in broken.stdout
