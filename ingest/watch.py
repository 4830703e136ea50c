"""A scanner's output folder, watched: each finished file goes through the one intake pipeline, then moves out.

Polling (every 2 s by default) rather than inotify: it works the same on a network share (SMB/NFS, where
scanners usually write and inotify sees nothing), and costs one directory listing per poll.

* A file is taken only when its size and modification time are the same at ``stable_polls`` successive
  polls (default 2): a scanner still writing it changes one of them. Hidden files (``.name``) and the usual
  partial-download names (``*.part``, ``*.tmp``, ``~$…``) are never taken.
* A file and its XML sidecar (``scan.pdf.xml`` or ``scan.xml``, docs/transfers.md) are taken together once
  both are stable. A lone ``.xml`` waits ``lone_xml_polls`` polls for its document before it is taken as a
  document itself (what the one-shot batch import does at once).
* After the pipeline answers, the file moves to ``DIR/.done/`` (registered) or ``DIR/.refused/`` (refused or
  a duplicate), the latter with ``<name>.reason.txt`` beside it. A scan batch with separator sheets, an e-mail
  or an mbox goes through ``ingest.channels`` (one outcome per document or message). The move is what
  guarantees that a restart never registers a file twice; if the process dies between the commit and the
  move, the next run meets the file again and the pipeline reports it as a duplicate of the record it
  already made.
* A backend outage (database, blob store: HTTP 503 ``BackendUnavailable``) refuses nothing: the file stays
  where it is and is tried again at a later poll.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dms.accounts import Principal
from dms.errors import BackendUnavailable, DmsError, Duplicate
from ingest.outcomes import Outcome
from ingest.pipeline import Intake
from ingest.runtime import Runtime
from ingest.sidecars import pair_sidecars

log = logging.getLogger(__name__)

DONE = ".done"
REFUSED = ".refused"
REASON_SUFFIX = ".reason.txt"
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download")
MAX_SIDECAR_READ = 10 * 1024 * 1024  # the metadata reader enforces the real limit; this bounds the read


@dataclass
class WatchReport:
    imported: list[Outcome] = field(default_factory=list)
    replaced: list[Outcome] = field(default_factory=list)  # re-scans that replaced a record's file
    duplicates: list[Outcome] = field(default_factory=list)
    refused: list[Outcome] = field(default_factory=list)
    retried: int = 0
    polls: int = 0

    def add(self, outcome: Outcome) -> None:
        lists = {"imported": self.imported, "replaced": self.replaced, "duplicate": self.duplicates,
                 "refused": self.refused}
        lists.get(outcome.kind, []).append(outcome)
        if outcome.kind == "retry":
            self.retried += 1

    def summary(self) -> str:
        replaced = f", replaced {len(self.replaced)}" if self.replaced else ""
        return (f"imported {len(self.imported)}{replaced}, duplicates {len(self.duplicates)}, "
                f"refused {len(self.refused)}")


def is_candidate(path: Path) -> bool:
    name = path.name
    return not (name.startswith((".", "~$")) or name.lower().endswith(PARTIAL_SUFFIXES))


class FolderWatcher:
    """Watches one folder (its top level; sub-folders are left alone). Drive it with ``run`` (a loop until a
    stop event or a number of polls) or ``poll`` (one pass, for tests and embedding)."""

    def __init__(
        self,
        runtime: Runtime,
        principal: Principal,
        folder: Path,
        template: Intake | None = None,
        *,
        interval: float = 2.0,
        stable_polls: int = 2,
        lone_xml_polls: int = 5,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        if not folder.is_dir():
            raise DmsError(f"not a folder: {folder}")
        self.runtime = runtime
        self.principal = principal
        self.folder = folder
        self.template = template or Intake(original_name="")
        self.interval = interval
        self.stable_polls = max(1, stable_polls)
        self.lone_xml_polls = max(self.stable_polls, lone_xml_polls)
        self.on_outcome = on_outcome
        self.report = WatchReport()
        # name -> ((size, mtime_ns), how many successive polls saw exactly that)
        self._seen: dict[str, tuple[tuple[int, int], int]] = {}
        for sub in (DONE, REFUSED):
            (folder / sub).mkdir(exist_ok=True)

    # --- the loop ---------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event, *, max_polls: int | None = None) -> WatchReport:
        """Poll until ``stop`` is set (SIGINT/SIGTERM in the CLI) or ``max_polls`` polls; the file being
        ingested when the stop comes is finished first, so nothing is left half done."""
        while not stop.is_set():
            try:
                self.poll(stop)
            except Exception:  # a folder that vanished, a full disk: say so, keep watching
                log.exception("watching %s: poll failed", self.folder)
            if max_polls is not None and self.report.polls >= max_polls:
                break
            stop.wait(self.interval)
        return self.report

    def poll(self, stop: threading.Event | None = None) -> list[Outcome]:
        ready = self._stable_files()
        self.report.polls += 1
        outcomes = []
        present = sorted((self.folder / name for name in self._seen), key=lambda p: p.name)
        for paired in pair_sidecars(present):  # all present files: a stable scan waits for its sidecar
            if stop is not None and stop.is_set():
                break
            if paired.path not in ready:
                continue
            if paired.sidecar is None and paired.path.suffix.lower() == ".xml":
                if self._seen[paired.path.name][1] < self.lone_xml_polls:
                    continue  # its document may still be on its way
            if paired.sidecar is not None and paired.sidecar not in ready:
                continue
            for outcome in self._take(paired.path, paired.sidecar, paired.problem):
                outcomes.append(outcome)
                self.report.add(outcome)
                if self.on_outcome is not None:
                    self.on_outcome(outcome)
        return outcomes

    def _stable_files(self) -> set[Path]:
        """Files whose size and mtime have not changed for ``stable_polls`` polls; forgets vanished ones."""
        current: dict[str, tuple[int, int]] = {}
        try:
            entries = list(os.scandir(self.folder))
        except OSError as exc:  # a network share gone for a moment: try again at the next poll
            log.warning("cannot list %s: %s", self.folder, exc)
            return set()
        for entry in entries:
            try:
                if not entry.is_file(follow_symlinks=False) or not is_candidate(Path(entry.name)):
                    continue
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            current[entry.name] = (stat.st_size, stat.st_mtime_ns)
        seen = {}
        for name, signature in current.items():
            before = self._seen.get(name)
            count = before[1] + 1 if before is not None and before[0] == signature else 1
            seen[name] = (signature, count)
        self._seen = seen
        return {self.folder / name for name, (_sig, count) in seen.items() if count >= self.stable_polls}

    # --- one file ---------------------------------------------------------------------------------------------

    def seen(self, name: str) -> int:
        """How many successive polls saw this file unchanged (0: not seen, or it changed at the last poll)."""
        entry = self._seen.get(name)
        return entry[1] if entry else 0

    def _changed(self, path: Path) -> bool:
        """Whether the file differs from the size and time judged stable (a writer came back to it)."""
        entry = self._seen.get(path.name)
        try:
            stat = path.stat()
        except OSError:
            return True
        return entry is None or entry[0] != (stat.st_size, stat.st_mtime_ns)

    def _take(self, path: Path, sidecar: Path | None, problem: str | None) -> list[Outcome]:
        """One file through :func:`ingest.channels.ingest_path`: one outcome, or one per document of a scan
        batch with separator sheets or per message of an mbox. The file moves to .done/ when any of them was
        registered, else to .refused/; the reason file lists every document that was not."""
        from ingest.channels import ingest_path

        name = path.name
        try:
            if problem:
                raise DmsError(problem)
            xml = None
            if sidecar is not None:
                with sidecar.open("rb") as handle:
                    xml = handle.read(MAX_SIDECAR_READ + 1)
            intake = dataclasses.replace(self.template, original_name=name, sidecar=xml)
            outcomes = ingest_path(self.runtime, self.principal, path, intake)
        except BackendUnavailable as exc:
            log.warning("%s: %s; will try again", name, exc.message)
            self._seen.pop(name, None)
            return [Outcome(name, "retry", reason=exc.message)]
        except FileNotFoundError:  # taken away (by a person, another watcher) while we were reading it
            self._seen.pop(name, None)
            return [Outcome(name, "retry", reason="the file disappeared")]
        except Duplicate as exc:
            outcomes = [Outcome(name, "duplicate", reason=exc.message)]
        except Exception as exc:
            if self._changed(path):  # still being written after all: what was read is not the document
                self._seen.pop(name, None)
                return [Outcome(name, "retry", reason="the file changed while it was read")]
            if isinstance(exc, DmsError):
                outcomes = [Outcome(name, "refused", reason=exc.message)]
            else:  # a bug or an unreadable file: refuse it rather than retry it forever
                log.exception("%s: unexpected error", name)
                outcomes = [Outcome(name, "refused", reason=f"internal error: {type(exc).__name__}: {exc}")]
        target = DONE if any(o.kind in ("imported", "replaced") for o in outcomes) else REFUSED
        moved = self._move(path, target)
        if sidecar is not None:
            self._move(sidecar, target)
        unregistered = [o for o in outcomes if o.kind not in ("imported", "replaced")]
        if unregistered:
            (moved.parent / (moved.name + REASON_SUFFIX)).write_text(
                "".join(f"{o.name}: {o.kind}: {o.reason}\n" for o in unregistered), encoding="utf-8")
        return outcomes

    def _move(self, path: Path, sub: str) -> Path:
        """Into ``sub`` under the same name, or ``stem-2.ext`` and so on when a file of that name is there."""
        folder = self.folder / sub
        target = folder / path.name
        n = 1
        while target.exists() or (folder / (target.name + REASON_SUFFIX)).exists():
            n += 1
            target = folder / f"{path.stem}-{n}{path.suffix}"
        try:
            os.replace(path, target)
        except FileNotFoundError:
            log.warning("%s was taken away before it could be moved to %s", path.name, sub)
        self._seen.pop(path.name, None)
        return target


def watch_folder(runtime: Runtime, principal: Principal, folder: Path, template: Intake | None = None, *,
                 stop: threading.Event, interval: float = 2.0, max_polls: int | None = None,
                 on_outcome: Callable[[Outcome], None] | None = None) -> WatchReport:
    """The service function behind ``dms ingest DIR --watch``."""
    started = time.monotonic()
    watcher = FolderWatcher(runtime, principal, folder, template, interval=interval, on_outcome=on_outcome)
    report = watcher.run(stop, max_polls=max_polls)
    log.info("watched %s for %.0f s: %s", folder, time.monotonic() - started, report.summary())
    return report
