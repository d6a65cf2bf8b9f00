"""RangedSource's background fetches: near spans go as one, and a read waits for its own."""

import io
import threading

from apkdrop.apk.source import READ_WINDOW_BYTES, RangedSource

DATA = bytes(range(256)) * (64 * 1024)  # 16 MiB


class SlowRanges(io.BytesIO):
    """Reads ranges from memory; the range starting at `slow_start` waits until released."""

    def __init__(self, slow_start: int) -> None:
        super().__init__(DATA)
        self.slow_start = slow_start
        self.release = threading.Event()
        self.calls: list[list[tuple[int, int]]] = []

    def read_ranges(self, ranges, /) -> list[bytes]:
        self.calls.append(list(ranges))
        if ranges[0][0] == self.slow_start:
            assert self.release.wait(timeout=30)
        return [DATA[offset : offset + length] for offset, length in ranges]


def test_spans_less_than_a_window_apart_are_fetched_as_one() -> None:
    reader = SlowRanges(slow_start=-1)
    source = RangedSource(reader)
    near = READ_WINDOW_BYTES - 1
    source.prefetch([(0, 100), (100 + near, 100), (8 * 1024 * 1024, 100)])
    assert source.read(100 + near, 100) == DATA[100 + near : 200 + near]
    assert source.read(8 * 1024 * 1024, 100) == DATA[8 * 1024 * 1024 : 8 * 1024 * 1024 + 100]
    assert sorted(reader.calls) == [[(0, 200 + near)], [(8 * 1024 * 1024, 100)]]
    assert source.bytes_read == 200 + near + 100


def test_a_read_waits_only_for_the_fetch_holding_it() -> None:
    far = 8 * 1024 * 1024
    reader = SlowRanges(slow_start=far)
    source = RangedSource(reader)
    source.prefetch([(0, 100), (far, 100)])
    assert source.read(0, 100) == DATA[:100]  # while the far fetch still waits
    reader.release.set()
    assert source.read(far, 100) == DATA[far : far + 100]
