"""GitHub Actions: step outputs in $GITHUB_OUTPUT, a job summary, error annotations."""

import uuid
from collections.abc import Mapping


def output_lines(values: Mapping[str, str]) -> str:
    """`name=value` lines; a value with a line break in the heredoc form GitHub documents."""
    lines = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    return "".join(lines)


def write_outputs(values: Mapping[str, str], environ: Mapping[str, str]) -> bool:
    """Appends to $GITHUB_OUTPUT when it is set; True if it was."""
    return _append(environ.get("GITHUB_OUTPUT"), output_lines(values))


def write_summary(markdown: str, environ: Mapping[str, str]) -> bool:
    return _append(environ.get("GITHUB_STEP_SUMMARY"), markdown.rstrip("\n") + "\n")


def annotation(kind: str, message: str) -> str:
    """`::error title=apkdrop::…` (or warning): the runner shows it on the run's page."""
    escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{kind} title=apkdrop::{escaped}"


def _append(path: str | None, text: str) -> bool:
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as file:
        file.write(text)
    return True
