"""The one way templates are loaded: strict (a missing value is an error), HTML autoescaped."""

from pathlib import Path

import jinja2


def environment(folder: Path, *, html: bool = True) -> jinja2.Environment:
    """Templates of `folder`; `html=False` for plain text (no escaping, the final newline kept)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=not html,
    )
