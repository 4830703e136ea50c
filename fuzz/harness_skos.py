"""Atheris harness: SKOS import (thesaurus/skos.py) in Turtle, RDF/XML and N-Triples. Only
``SkosValidationError`` may come out; and what imports must export and import again to the same thesaurus
(the round trip the service promises). Seeds: fuzz/seeds/skos. Run: ``fuzz/run.py --only skos``."""

from __future__ import annotations

import logging
import sys

import atheris

with atheris.instrument_imports(include=["thesaurus"]):
    from thesaurus import skos

#: The first byte names the format, so seeds stay readable: "t@prefix skos: …" is Turtle; any other byte
#: leaves the format to detection (what an upload without a format gets).
logging.getLogger("rdflib").setLevel(logging.ERROR)  # every odd IRI is a warning line, thousands a second

FORMATS = {ord("t"): "turtle", ord("x"): "xml", ord("n"): "nt"}


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris calls)
    if not data:
        return
    fmt = FORMATS.get(data[0])
    try:
        thesaurus = skos.load(data[1:], format=fmt)
    except skos.SkosValidationError:
        return
    again = skos.load(skos.export(thesaurus), format="turtle")
    if skos.export(again) != skos.export(thesaurus):
        raise AssertionError("a thesaurus does not survive export and import unchanged")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
