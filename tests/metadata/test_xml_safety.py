"""Hostile XML is refused with one clear line, before libxml2 builds anything big, reading nothing.

Per DESIGN §6 tests do not assert on wall-clock time; "refused quickly" is checked structurally
instead: the refusals below happen before any libxml2 parser is even created.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

import metadata.xml as safe_xml
from metadata import MetadataError, parse_sidecar, parse_xml

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>\n"
)


@pytest.fixture
def no_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if libxml2 gets to parse anything: the refusal must come before."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("libxml2 was asked to parse a document that should have been refused first")

    monkeypatch.setattr(safe_xml.etree, "XMLPullParser", forbidden)


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on loopback that records every connection made to it (there must be none)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    connections: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    connections.append(conn.recv(1024))
                except OSError:
                    connections.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join(timeout=2)
    server.close()


def test_a_plain_document_parses() -> None:
    root = parse_xml("<a x='é'><b>l'été</b><!-- c --><?pi x?></a>".encode())
    assert root.tag == "a" and root.findtext("b") == "l'été"
    assert len(root) == 1  # comments and processing instructions are dropped


def test_external_entity_file_is_refused_and_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    for target in ("file:///etc/passwd", secret.as_uri()):
        doc = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "{target}">]><x>&e;</x>'.encode()
        with pytest.raises(MetadataError, match="DOCTYPE") as refused:
            parse_xml(doc)
        assert "\n" not in str(refused.value)
        assert "TOP-SECRET" not in str(refused.value) and "root:" not in str(refused.value)


def test_billion_laughs_is_refused_before_parsing(no_parser: None) -> None:
    with pytest.raises(MetadataError, match="DOCTYPE"):
        parse_xml(BILLION_LAUGHS)


def test_network_dtd_is_refused_without_any_connection(listener: tuple[int, list[bytes]]) -> None:
    port, connections = listener
    url = f"http://127.0.0.1:{port}/x.dtd"
    documents = [
        f'<!DOCTYPE x SYSTEM "{url}"><x/>',
        f'<!DOCTYPE x PUBLIC "-//EVIL//DTD X//EN" "{url}"><x/>',
        f'<!DOCTYPE x [<!ENTITY % p SYSTEM "{url}"> %p;]><x/>',
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "{url}">]><x>&e;</x>',
    ]
    for doc in documents:
        with pytest.raises(MetadataError, match="DOCTYPE"):
            parse_xml(doc.encode())
    assert connections == []


def test_second_wall_refuses_a_doctype_the_prolog_scan_would_miss(
    monkeypatch: pytest.MonkeyPatch, listener: tuple[int, list[bytes]], tmp_path: Path
) -> None:
    """Even with the byte-level scan switched off, libxml2's own settings keep the DTD inert."""
    monkeypatch.setattr(safe_xml, "_check_prolog", lambda data: None)
    port, connections = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    for doc in (
        f'<!DOCTYPE x SYSTEM "http://127.0.0.1:{port}/x.dtd"><x/>',
        f'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p"> %p;]><x/>',
        f'<!DOCTYPE x [<!ENTITY e SYSTEM "{secret.as_uri()}">]><x>&e;</x>',
    ):
        with pytest.raises(MetadataError) as refused:
            parse_xml(doc.encode())
        assert "TOP-SECRET" not in str(refused.value)
    with pytest.raises(MetadataError):
        parse_xml(BILLION_LAUGHS)
    assert connections == []


def test_fifty_megabytes_of_nested_elements_are_refused_by_size(no_parser: None) -> None:
    depth = 50 * 1024 * 1024 // 7 + 1
    bomb = b"<a>" * depth + b"</a>" * depth
    assert len(bomb) >= 50 * 1024 * 1024
    with pytest.raises(MetadataError, match="too large"):
        parse_xml(bomb)


def test_deep_nesting_under_the_size_limit_is_refused_by_depth() -> None:
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(MetadataError, match="deeper than"):
        parse_xml(deep)
    with pytest.raises(MetadataError, match="deeper than 10"):
        parse_xml(b"<a>" * 11 + b"</a>" * 11, max_depth=10)
    assert parse_xml(b"<a>" * 10 + b"</a>" * 10, max_depth=10).tag == "a"


def test_size_limit_is_configurable(no_parser: None) -> None:
    with pytest.raises(MetadataError, match="limit is 100"):
        parse_xml(b"<a>" + b"x" * 200 + b"</a>", max_bytes=100)


def test_doctype_hidden_in_utf16_is_refused(no_parser: None) -> None:
    doc = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'
    with pytest.raises(MetadataError, match="DOCTYPE"):
        parse_xml(doc.encode("utf-16"))


def test_exotic_encodings_are_refused(no_parser: None) -> None:
    with pytest.raises(MetadataError, match="encoding 'UTF-7'"):
        parse_xml(b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE x+AD4-<x/>')


def test_doctype_text_inside_the_body_is_not_a_false_alarm() -> None:
    root = parse_xml(b"<x><!-- <!DOCTYPE y> --><![CDATA[<!DOCTYPE z>]]></x>")
    assert root.text == "<!DOCTYPE z>"


def test_malformed_and_empty_documents_get_one_line() -> None:
    for doc in (b"<a><b></a>", b"", b"   ", b"<a>&undefined;</a>", b"not xml"):
        with pytest.raises(MetadataError) as refused:
            parse_xml(doc)
        assert "\n" not in str(refused.value)


def test_only_bytes_are_accepted() -> None:
    with pytest.raises(TypeError):
        parse_xml("<a/>")  # type: ignore[arg-type]


def test_sidecars_go_through_the_safe_parser(listener: tuple[int, list[bytes]]) -> None:
    port, connections = listener
    with pytest.raises(MetadataError, match="DOCTYPE"):
        parse_sidecar(f'<!DOCTYPE x SYSTEM "http://127.0.0.1:{port}/x.dtd"><x/>'.encode())
    with pytest.raises(MetadataError, match="DOCTYPE"):
        parse_sidecar(BILLION_LAUGHS)
    assert connections == []


def test_returned_tree_is_an_lxml_element() -> None:
    assert isinstance(parse_xml(b"<a/>"), etree._Element)


def test_doctype_after_a_padded_prolog_is_still_refused(listener: tuple[int, list[bytes]]) -> None:
    port, connections = listener
    padding = b"<!--" + b"x" * (2 * 1024 * 1024) + b"-->"
    for body in (BILLION_LAUGHS.split(b"\n", 1)[1], f'<!DOCTYPE x SYSTEM "http://127.0.0.1:{port}/x"><x/>'.encode()):
        with pytest.raises(MetadataError):
            parse_xml(padding + body)
    assert connections == []
