"""BackgroundWrites: the caller goes on receiving while a write is under way, within a bound."""

import threading

import pytest

from apkdrop.adapters.background_writes import MAX_QUEUED_PIECES, BackgroundWrites
from apkdrop.adapters.cloud_storage import HashingWriter


class Blocked:
    """A write that waits until released, recording what it wrote."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.written: list[bytes] = []

    def __call__(self, piece: bytes) -> None:
        self.started.set()
        assert self.release.wait(timeout=30)
        self.written.append(piece)


def test_the_caller_queues_pieces_while_a_write_is_under_way() -> None:
    write = Blocked()
    writes = BackgroundWrites(write)
    writes.put(b"first")
    assert write.started.wait(timeout=30)
    for number in range(MAX_QUEUED_PIECES):  # returns although the first write still waits
        writes.put(b"%d" % number)
    assert write.written == []
    write.release.set()
    writes.close()
    assert write.written == [b"first", *(b"%d" % n for n in range(MAX_QUEUED_PIECES))]


def test_a_failed_write_is_raised_to_the_caller_and_later_pieces_are_dropped() -> None:
    written: list[bytes] = []

    def write(piece: bytes) -> None:
        if piece == b"bad":
            raise ConnectionError("dropped")
        written.append(piece)

    writes = BackgroundWrites(write)
    with pytest.raises(ConnectionError):  # from a put once the thread failed, else from close
        for piece in (b"one", b"bad", b"two"):
            writes.put(piece)
        writes.close()
    assert written == [b"one"]


class Upload:
    closed = False

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes, /) -> int:
        self.data += data
        return len(data)

    def close(self) -> None:
        self.closed = True

    def terminate(self) -> None:
        self.closed = True


def test_a_reused_buffer_is_copied_before_it_is_queued() -> None:
    upload = Upload()
    writer = HashingWriter(upload, 100, ValueError("too large"))
    buffer = bytearray(b"abc")
    writer.write(buffer)  # type: ignore[arg-type]  # as a parser reusing its buffer would
    buffer[:] = b"xyz"
    writer.finish()
    assert bytes(upload.data) == b"abc"
