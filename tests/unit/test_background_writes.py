"""BackgroundWrites: the caller goes on receiving while the call sends, within a bound."""

import hashlib
import threading
from collections.abc import Iterator

import pytest

from apkdrop.adapters.background_writes import MAX_QUEUED_BYTES, Abandoned, BackgroundWrites
from apkdrop.adapters.streamed_upload import PIECE_BYTES, HashingWriter
from apkdrop.shared_models import StorageObject


class Blocked:
    """A call that waits until released before it takes the pieces, recording them."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.taken: list[bytes] = []

    def __call__(self, pieces: Iterator[bytes]) -> int:
        self.started.set()
        assert self.release.wait(timeout=30)
        self.taken += pieces
        return len(self.taken)


def test_the_caller_queues_up_to_the_bound_while_the_call_is_busy() -> None:
    call = Blocked()
    writes = BackgroundWrites(call)
    assert call.started.wait(timeout=30)
    pieces = [bytes([n]) * (MAX_QUEUED_BYTES // 4) for n in range(4)]
    for piece in pieces:  # returns although the call takes nothing yet
        writes.put(piece)
    blocked = threading.Thread(target=writes.put, args=(b"over",))
    blocked.start()
    blocked.join(timeout=0.5)
    assert blocked.is_alive()  # the bound is reached: the caller waits
    call.release.set()
    blocked.join(timeout=30)
    assert writes.close() == 5
    assert call.taken == [*pieces, b"over"]


def test_a_piece_larger_than_the_bound_still_goes_alone() -> None:
    writes = BackgroundWrites(lambda pieces: sum(map(len, pieces)))
    writes.put(b"x" * (MAX_QUEUED_BYTES + 1))
    assert writes.close() == MAX_QUEUED_BYTES + 1


def test_a_failed_call_is_raised_to_the_caller_who_never_waits_for_it() -> None:
    def call(pieces: Iterator[bytes]) -> None:
        for piece in pieces:
            if piece == b"bad":
                raise ConnectionError("dropped")

    writes = BackgroundWrites(call)
    with pytest.raises(ConnectionError):  # from a put once the call failed, else from close
        for piece in (b"one", b"bad", *[b"y" * 1024 * 1024] * 32):
            writes.put(piece)
        writes.close()


def test_discarding_ends_the_pieces_with_abandoned_never_a_normal_end() -> None:
    seen: list[BaseException] = []
    took = threading.Event()

    def call(pieces: Iterator[bytes]) -> None:
        try:
            for _ in pieces:
                took.set()
        except Abandoned as exc:
            seen.append(exc)
            raise

    writes = BackgroundWrites(call)
    writes.put(b"one")
    assert took.wait(timeout=30)
    writes.discard()
    assert len(seen) == 1


class Upload:
    """An ObjectUpload keeping what it was sent."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.pieces: list[int] = []
        self.abandoned = False

    def send(self, pieces: Iterator[bytes], /) -> StorageObject:
        try:
            for piece in pieces:
                self.data += piece
                self.pieces.append(len(piece))
        except Abandoned:
            self.abandoned = True
            raise
        return StorageObject(bucket="b", name="o", generation=1, size=len(self.data))


def test_a_reused_buffer_is_copied_before_it_is_queued() -> None:
    upload = Upload()
    writer = HashingWriter(upload, 100, ValueError("too large"))
    buffer = bytearray(b"abc")
    writer.write(buffer)  # type: ignore[arg-type]  # as a parser reusing its buffer would
    buffer[:] = b"xyz"
    writer.finish()
    assert bytes(upload.data) == b"abc"
    assert writer.stored is not None and writer.stored.size == 3


def test_an_abandoned_writer_ends_its_upload_unfinished_but_a_finished_one_does_not() -> None:
    abandoned, finished = Upload(), Upload()
    writer = HashingWriter(abandoned, 100, ValueError("too large"))
    writer.write(b"abc")
    writer.abandon()
    assert abandoned.abandoned and abandoned.data in (b"", b"abc")
    writer = HashingWriter(finished, 100, ValueError("too large"))
    writer.write(b"abc")
    writer.finish()
    writer.abandon()
    assert not finished.abandoned


def test_small_writes_go_on_gathered_into_pieces() -> None:
    upload = Upload()
    writer = HashingWriter(upload, 100 * 1024 * 1024, ValueError("too large"))
    read = 64 * 1024  # a parser's read
    for n in range(20):
        writer.write(bytes([n]) * read)
    writer.finish()
    assert upload.pieces == [PIECE_BYTES, 20 * read - PIECE_BYTES]
    assert bytes(upload.data) == b"".join(bytes([n]) * read for n in range(20))
    assert writer.sha256.hexdigest() == hashlib.sha256(upload.data).hexdigest()
