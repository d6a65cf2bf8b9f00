"""What every command works with: the API, storage, the output, the clock and stdin."""

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO, cast

from apkdrop_cli.http import ApiClient
from apkdrop_cli.output import Output
from apkdrop_cli.storage import Storage


@dataclass
class Session:
    api: ApiClient
    storage: Storage
    output: Output
    environ: Mapping[str, str]
    cwd: Path | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = field(default=time.monotonic)
    stdin: TextIO = field(default_factory=lambda: cast(TextIO, sys.stdin))  # for confirmations
