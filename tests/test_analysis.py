"""The one analysis chain: what a French query must match, and how highlights read."""

from __future__ import annotations

from thesaurus.analysis import analyze, analyze_joined, tokens
from thesaurus.highlight import highlight


def test_inflections_accents_and_elisions_meet():
    assert analyze("demandes") == analyze("demande") == analyze("Demandé")
    assert analyze("l'école") == analyze("ecoles") == analyze("ÉCOLE")
    assert analyze("d'urbanisme") == analyze("urbanisme")
    assert analyze("rénovation") == analyze("renovation")
    assert analyze("jusqu'à ce que nous le fassions") == analyze("fassions")


def test_stop_words_vanish_and_numbers_stay():
    assert analyze("le la les de des du et") == []
    assert analyze("E/2026/00042") == ["e", "2026", "00042"]


def test_other_languages_use_their_own_stemmer():
    assert analyze("bouwvergunningen", "nl") == analyze("bouwvergunning", "nl")
    assert analyze("Baugenehmigungen", "de") == analyze("Baugenehmigung", "de")
    assert analyze("permits", "en") == analyze("permit", "en")


def test_offsets_point_into_the_original_text():
    text = "Vos demandes d'urbanisme"
    assert [(t.term, text[t.start : t.end]) for t in tokens(text)] == [
        ("demand", "demandes"),
        ("urban", "urbanisme"),
    ]
    assert analyze_joined(text) == "demand urban"


def test_highlight_prefers_the_passage_holding_every_word_and_escapes_html():
    text = "Objet : urbanisme.\n" + "x " * 200 + "<b>Vos</b> demandes de permis d'urbanisme sont reçues."
    snippets = highlight(text, set(analyze("demande urbanisme")))
    both = [s for s in snippets if "<mark>demandes</mark>" in s and "<mark>urbanisme</mark>" in s]
    assert len(both) == 1
    assert "&lt;b&gt;" in both[0] and "<b>" not in both[0]
    assert highlight(text, set(analyze("piscine"))) == []
