"""Bucket: `FakeBucket` and `cloud_storage.UploadBucket` (on fake-gcs-server) keep the same
contract. The emulator checks no signature: of a signed URL only its object is checked."""

import base64
import datetime
import hashlib
import io

import google_crc32c
import pytest
from google.cloud import storage

from apkdrop.adapters import cloud_storage
from apkdrop.errors import BackendUnavailable, ObjectGone
from tests.fakes import FakeBucket
from tests.integration.contract.conftest import CONTRACT_BUCKET, IMPLEMENTATIONS, unique

pytestmark = pytest.mark.integration
DATA = b"PK\x03\x04" + bytes(range(256)) * 40
TTL = datetime.timedelta(minutes=10)
MIB = 1024 * 1024


class TooLarge(Exception):
    pass


@pytest.fixture(params=IMPLEMENTATIONS)
def bucket(request: pytest.FixtureRequest) -> FakeBucket | cloud_storage.UploadBucket:
    if request.param == "fake":
        return FakeBucket(CONTRACT_BUCKET)
    return request.getfixturevalue("upload_bucket")


def new_object(bucket, data: bytes = DATA) -> str:
    name = f"{unique('contract')}/app.apk"
    bucket.put_object(name, data, "application/octet-stream")
    return name


def test_the_bucket_has_its_name(bucket) -> None:
    assert bucket.name == CONTRACT_BUCKET


def test_signed_urls_are_for_their_object(bucket) -> None:
    name = f"{unique('contract')}/app.apk"
    put = bucket.signed_put_url(name, {"Content-Type": "application/octet-stream"}, TTL)
    get = bucket.signed_get_url(name, TTL, download_name="app.apk")
    assert isinstance(put, str) and name in put
    assert isinstance(get, str) and name in get


def test_a_stored_object_is_found_with_its_size_and_hashes(bucket) -> None:
    name = new_object(bucket)
    found = bucket.find_object(name)
    assert (found.bucket, found.name, found.size, found.metadata) == (
        CONTRACT_BUCKET,
        name,
        len(DATA),
        {},
    )
    assert found.md5Hash == base64.b64encode(hashlib.md5(DATA).digest()).decode()
    assert found.crc32c == base64.b64encode(google_crc32c.Checksum(DATA).digest()).decode()
    assert found.generation > 0
    assert found.timeCreated.tzinfo is not None


def test_a_missing_object_is_not_found(bucket) -> None:
    assert bucket.find_object(f"{unique('contract')}/app.apk") is None


def test_a_small_object_is_put_once(bucket) -> None:
    name = new_object(bucket)
    generation = bucket.find_object(name).generation
    with pytest.raises(BackendUnavailable):
        bucket.put_object(name, b"other", "application/octet-stream")
    assert bucket.find_object(name).generation == generation


def test_an_object_opens_at_its_generation_for_ranged_reads(bucket, monkeypatch) -> None:
    stored = bucket.find_object(new_object(bucket))

    def no_metadata_request(*args, **kwargs):
        raise AssertionError("the reader asked for the object's metadata, which it was given")

    monkeypatch.setattr(storage.Blob, "reload", no_metadata_request)
    with bucket.open_object(stored) as reader:
        reader.seek(0, io.SEEK_END)
        assert reader.tell() == len(DATA)
        reader.seek(4)
        assert reader.read(3) == DATA[4:7]
        reader.seek(0)
        assert reader.read() == DATA


def test_an_object_reads_several_ranges(bucket) -> None:
    stored = bucket.find_object(new_object(bucket))
    ranges = [(0, 4), (5, 3), (len(DATA) - 2, 10), (2, 0)]
    with bucket.open_object(stored) as reader:
        assert reader.read_ranges(ranges) == [DATA[0:4], DATA[5:8], DATA[-2:], b""]


def test_another_generation_or_a_missing_object_is_gone(bucket) -> None:
    stored = bucket.find_object(new_object(bucket))
    missing = stored.model_copy(update={"name": f"{unique('contract')}/app.apk"})
    for gone in [stored.model_copy(update={"generation": stored.generation + 1}), missing]:
        with pytest.raises(ObjectGone), bucket.open_object(gone) as reader:
            reader.read(1)
        with pytest.raises(ObjectGone), bucket.open_object(gone) as reader:
            reader.read_ranges([(0, 1), (1, 1)])


def test_the_sha256_is_of_the_generation(bucket) -> None:
    name = new_object(bucket)
    generation = bucket.find_object(name).generation
    assert bucket.sha256_of(name, generation) == hashlib.sha256(DATA).hexdigest()
    with pytest.raises(BackendUnavailable):
        bucket.sha256_of(name, generation + 1)


def test_marking_an_object_failed_keeps_it(bucket) -> None:
    name = new_object(bucket)
    generation = bucket.find_object(name).generation
    bucket.mark_failed(name, generation)
    assert bucket.find_object(name).generation == generation


def test_marking_a_missing_object_failed_is_no_error(bucket) -> None:
    bucket.mark_failed(f"{unique('contract')}/app.apk", 1)


def test_a_deleted_object_is_gone_and_deleting_it_again_is_no_error(bucket) -> None:
    name = new_object(bucket)
    bucket.delete_object(name)
    assert bucket.find_object(name) is None
    bucket.delete_object(name)


def test_a_started_object_exists_once_finished_with_its_hash(bucket) -> None:
    name = f"{unique('contract')}/streamed.apk"
    writer = bucket.start_object(name, len(DATA), TooLarge())
    writer.write(DATA[:1000])
    writer.write(DATA[1000:])
    assert bucket.find_object(name) is None
    writer.finish()
    assert (writer.size, writer.sha256.hexdigest()) == (len(DATA), hashlib.sha256(DATA).hexdigest())
    found = bucket.find_object(name)
    assert bucket.sha256_of(name, found.generation) == hashlib.sha256(DATA).hexdigest()
    stored = writer.stored
    assert (stored.generation, stored.size, stored.md5Hash, stored.crc32c) == (
        found.generation,
        found.size,
        found.md5Hash,
        found.crc32c,
    )


def test_an_abandoned_object_leaves_nothing(bucket) -> None:
    name = f"{unique('contract')}/abandoned.apk"
    writer = bucket.start_object(name, len(DATA), TooLarge())
    writer.write(DATA)
    writer.abandon()
    assert bucket.find_object(name) is None


def test_an_object_abandoned_midway_through_its_bytes_leaves_nothing(bucket) -> None:
    """Pieces already sent, the request is cut before its end: no object."""
    name = f"{unique('contract')}/abandoned-midway.apk"
    writer = bucket.start_object(name, 8 * MIB, TooLarge())
    writer.write(b"x" * (3 * MIB))
    writer.abandon()
    assert bucket.find_object(name) is None


def test_a_started_object_over_its_limit_is_refused(bucket) -> None:
    name = f"{unique('contract')}/large.apk"
    writer = bucket.start_object(name, 10, TooLarge())
    with pytest.raises(TooLarge):
        writer.write(b"x" * 11)
    writer.abandon()
    assert bucket.find_object(name) is None


def test_a_started_object_does_not_replace_one_that_exists(bucket) -> None:
    name = new_object(bucket)
    generation = bucket.find_object(name).generation
    writer = bucket.start_object(name, len(DATA), TooLarge())
    with pytest.raises(BackendUnavailable):
        writer.write(b"other")
        writer.finish()
    assert bucket.find_object(name).generation == generation
