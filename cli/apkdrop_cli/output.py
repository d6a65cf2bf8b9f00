"""Everything the CLI shows: results on stdout (text, a table, or one JSON document), notes,
warnings and progress on stderr, and the same values for GitHub Actions. The API key is
redacted from every line, whatever produced it."""

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import Progress as RichProgress
from rich.table import Table

from apkdrop_cli import github
from apkdrop_cli.errors import ExitCode

REDACTED = "***"


@dataclass
class Result:
    """What a command produced, for every kind of output at once."""

    data: object  # the --json document
    lines: list[str] = field(default_factory=list)  # human output
    outputs: dict[str, str] = field(default_factory=dict)  # GitHub step outputs (besides json)
    summary: str | None = None  # markdown for the GitHub job summary, --summary, --comment-pr
    summary_key: str | None = None  # which pull request comment the summary is (an app's id)
    table: tuple[Sequence[str], Sequence[Sequence[str]]] | None = None  # columns, rows
    warnings: list[str] = field(default_factory=list)  # what the server warned about
    exit_code: ExitCode = ExitCode.OK
    error: str | None = None  # why exit_code is not OK


def checks_line(checks: list[dict]) -> str | None:
    """The Play-readiness checks in one line, naming those not passed; None without checks."""
    if not checks:
        return None
    counts = [
        f"{sum(check['status'] == status for check in checks)} {status}"
        for status in ("pass", "warn", "fail")
    ]
    not_passed = [
        f"{check['id']} {check['status']}" for check in checks if check["status"] != "pass"
    ]
    return f"Play readiness: {', '.join(counts)}" + (
        f" ({', '.join(not_passed)})" if not_passed else ""
    )


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB" if size >= 1024 * 1024 else f"{size / 1024:.1f} KiB"


def signed_size(delta: int) -> str:
    return f"{'-' if delta < 0 else '+'}{human_size(abs(delta))}"


class Output:
    def __init__(
        self,
        *,
        stdout: TextIO,
        stderr: TextIO,
        environ: Mapping[str, str],
        json_mode: bool = False,
        quiet: bool = False,
        verbose: bool = False,
        progress: bool = True,
    ) -> None:
        self.stdout, self.stderr, self.environ = stdout, stderr, environ
        self.json_mode, self.quiet, self.verbose = json_mode, quiet, verbose
        self.bars = progress and not quiet and is_terminal(stderr)
        self._secrets: list[str] = []
        self._lock = threading.Lock()
        self._live: Console | None = None  # while progress bars are drawn, lines go above them

    def add_secret(self, secret: str) -> None:
        if secret:
            self._secrets.append(secret)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def _err(self, text: str) -> None:
        if self._live is not None:
            self._live.print(self.redact(text), markup=False, highlight=False, soft_wrap=True)
            return
        with self._lock:
            self.stderr.write(self.redact(text) + "\n")
            self.stderr.flush()

    def note(self, text: str) -> None:
        """Progress in words: what is happening, retries. Hidden by --quiet."""
        if not self.quiet:
            self._err(text)

    def ask(self, question: str) -> None:
        """A question on stderr, the answer to be typed on the same line (shown even --quiet)."""
        with self._lock:
            self.stderr.write(self.redact(question) + " ")
            self.stderr.flush()

    def debug(self, text: str) -> None:
        if self.verbose:
            self._err(f"debug: {text}")

    def warning(self, text: str) -> None:
        self._err(github.annotation("warning", text) if self._on_github else f"warning: {text}")

    def error(self, text: str) -> None:
        """On stderr; under GitHub Actions as an annotation, shown on the run's page."""
        self._err(github.annotation("error", text) if self._on_github else f"error: {text}")

    @property
    def _on_github(self) -> bool:
        return self.environ.get("GITHUB_ACTIONS") == "true"

    @contextmanager
    def transfers(self) -> Iterator["Transfers"]:
        if not self.bars:
            yield PlainTransfers(self)
            return
        console = Console(file=self.stderr, highlight=False)
        bars = RichProgress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        with bars:
            self._live = console
            try:
                yield RichTransfers(bars, self.redact)
            finally:
                self._live = None

    def emit(self, result: Result) -> None:
        """The result on stdout, then the GitHub step outputs and summary."""
        document = json.dumps(result.data, separators=(",", ":"))
        if self.json_mode:
            self._out(json.dumps(result.data, indent=2))
        else:
            for line in result.lines:
                self._line(line)
            if result.table is not None:
                self._table(*result.table)
        for warning in result.warnings:
            self.warning(warning)
        outputs = {**result.outputs, "json": document}
        if result.exit_code != ExitCode.OK:  # as for a refusal (main._fail): a FAILED build
            outputs |= {"error": result.error or "", "exit-code": str(int(result.exit_code))}
        github.write_outputs({k: self.redact(v) for k, v in outputs.items()}, self.environ)
        if result.summary:
            github.write_summary(self.redact(result.summary), self.environ)
        if result.error:
            self.error(result.error)

    def _line(self, text: str) -> None:
        """One line of a result, which carries text from the server and the APK: kept on one
        line, and under GitHub Actions never read as a workflow command (the runner takes any
        line starting with `::`, leading spaces aside, as one: `::error`, `::add-mask`)."""
        line = " ".join(text.splitlines())
        if self._on_github and line.lstrip().startswith("::"):
            line = "> " + line
        self._out(line)

    def _out(self, text: str) -> None:
        with self._lock:
            self.stdout.write(self.redact(text) + "\n")
            self.stdout.flush()

    def _table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        if not is_terminal(self.stdout):
            # Tab-separated, no header: for grep, cut and awk.
            for row in rows:
                self._line("\t".join(row))
            return
        table = Table(highlight=False)
        for index, column in enumerate(columns):
            # Folded, never cut short: an id or a link is no use with an ellipsis in it.
            table.add_column(column, overflow="fold", no_wrap=index == 0)
        for row in rows:
            table.add_row(*(self.redact(cell) for cell in row))
        Console(file=self.stdout).print(table)


class Transfers:
    def track(self, label: str, total: int) -> "Tracker":
        raise NotImplementedError


class Tracker:
    def advance(self, size: int) -> None:
        pass

    def restart(self) -> None:
        pass

    def finish(self) -> None:
        pass


class PlainTransfers(Transfers):
    """Not on a terminal (a CI log): one line when a file starts, one when it is done."""

    def __init__(self, output: Output) -> None:
        self._output = output

    def track(self, label: str, total: int) -> Tracker:
        return PlainTracker(self._output, label, total)


class PlainTracker(Tracker):
    def __init__(self, output: Output, label: str, total: int) -> None:
        self._output, self._label, self._total = output, label, total
        self._started = time.monotonic()
        output.note(f"uploading {label} ({human_size(total)})")

    def finish(self) -> None:
        elapsed = time.monotonic() - self._started
        self._output.note(f"uploaded {self._label} ({human_size(self._total)}) in {elapsed:.1f}s")


class RichTransfers(Transfers):
    def __init__(self, bars: RichProgress, redact) -> None:
        self._bars, self._redact = bars, redact

    def track(self, label: str, total: int) -> Tracker:
        task = self._bars.add_task(self._redact(label), total=total)
        return RichTracker(self._bars, task, total)


class RichTracker(Tracker):
    def __init__(self, bars: RichProgress, task: TaskID, total: int) -> None:
        self._bars, self._task, self._total = bars, task, total

    def advance(self, size: int) -> None:
        self._bars.advance(self._task, size)

    def restart(self) -> None:
        self._bars.reset(self._task)

    def finish(self) -> None:
        self._bars.update(self._task, completed=self._total)


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
