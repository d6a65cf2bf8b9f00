"""A log file with a size cap: when full it becomes NAME.1 (replacing the previous one) and a
new NAME starts, so a part that logs forever (the tasks emulator) keeps at most twice the cap."""

from pathlib import Path

LOG_MAX_BYTES = 8 * 2**20


class CappedLog:
    def __init__(self, path: Path, max_bytes: int = LOG_MAX_BYTES) -> None:
        self.path = path
        self._max_bytes = max_bytes
        self._file = path.open("wb")
        self._size = 0

    def write(self, line: bytes) -> None:
        if self._size and self._size + len(line) > self._max_bytes:
            self._file.close()
            self.path.replace(self.path.with_name(self.path.name + ".1"))
            self._file = self.path.open("wb")
            self._size = 0
        self._file.write(line)
        self._file.flush()
        self._size += len(line)

    def close(self) -> None:
        self._file.close()
