"""RangedSource's background fetches: near spans go as one, and a read waits for its own."""

import io
import threading

from apkdrop.apk.source import MAX_MERGED_BYTES, READ_WINDOW_BYTES, RangedSource

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


def test_a_run_of_near_spans_is_merged_only_up_to_a_bound() -> None:
    # 64 spans of 64 KiB, 300 KiB apart (libraries of 300 KiB): never one read of the run.
    reader = SlowRanges(slow_start=-1)
    source = RangedSource(reader)
    spans = [(n * 300 * 1024, 64 * 1024) for n in range(64)]
    source.prefetch(spans)
    fetched = [length for ((_, length),) in reader_calls_when_done(source, reader, spans)]
    assert max(fetched) <= MAX_MERGED_BYTES
    assert source.bytes_read <= sum(fetched) and sum(fetched) < 2 * 64 * 300 * 1024


def reader_calls_when_done(source: RangedSource, reader: SlowRanges, spans) -> list:
    for offset, length in spans:
        assert source.read(offset, length) == DATA[offset : offset + length]
    return reader.calls
