"""Cloud Storage: V4 signed upload URLs, object look-ups and ranged reads of uploads."""

import contextlib
import datetime
import hashlib
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from apkdrop.adapters.connection_warmup import open_connections
from apkdrop.adapters.errors import backend_call, storage_failures_are_transient
from apkdrop.adapters.signing import SigningArguments, UrlSigning
from apkdrop.adapters.streamed_upload import HashingWriter, MultipartUpload
from apkdrop.apk.bundle import MEDIA_TYPES
from apkdrop.apk.source import MAX_CONCURRENT_PREFETCHES, SeekableReader
from apkdrop.errors import Misconfigured, ObjectGone
from apkdrop.settings import CoreSettings
from apkdrop.shared_models import StorageObject

# Whole-object reads go in chunks of this size.
READ_CHUNK_BYTES = 8 * 1024 * 1024
APK_MEDIA_TYPE = MEDIA_TYPES["APK"]


def create_client(settings: CoreSettings) -> storage.Client:
    if settings.storage_emulator_host:
        return storage.Client(
            project=settings.google_cloud_project,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": settings.storage_emulator_host},
        )
    return storage.Client(project=settings.google_cloud_project)


class SignedUrlArguments(SigningArguments, total=False):
    """The keyword arguments of `Blob.generate_signed_url` that say who signs, and where to."""

    api_access_endpoint: str


class UploadBucket:
    """The bucket that receives uploads; without `signing`, for a function that signs no URLs."""

    def __init__(self, client: storage.Client, name: str, signing: UrlSigning | None) -> None:
        self._name = name
        self._bucket = client.bucket(self._name)
        self._http = client._http  # the client's authorised session, for the streamed PUTs
        self._endpoint = client.api_endpoint
        self._signing = signing

    @property
    def name(self) -> str:
        return self._name

    def _signing_arguments(self) -> "SignedUrlArguments":
        if self._signing is None:  # tests/unit/test_iam.py checks that no such function signs
            raise Misconfigured("this function signs no URLs: its settings have no signing")
        signing = self._signing
        return {"api_access_endpoint": signing.endpoint, **signing.signer.signing_arguments()}

    @backend_call("IAM signBlob")
    def signed_put_url(
        self, object_name: str, headers: dict[str, str], ttl: datetime.timedelta
    ) -> str:
        """A V4 URL that accepts one PUT of `object_name` carrying exactly `headers`."""
        return self._bucket.blob(object_name).generate_signed_url(
            version="v4",
            method="PUT",
            expiration=ttl,
            headers=dict(headers),  # the library adds Host to the dict it is given
            **self._signing_arguments(),
        )

    @backend_call("Cloud Storage")
    def find_object(self, object_name: str) -> StorageObject | None:
        blob = self._bucket.get_blob(object_name)
        if blob is None or blob.generation is None:  # a fetched blob always has its generation
            return None
        return StorageObject(
            bucket=self.name,
            name=object_name,
            generation=blob.generation,
            size=blob.size or 0,
            md5Hash=blob.md5_hash,
            crc32c=blob.crc32c,
            metadata=blob.metadata or {},
            timeCreated=blob.time_created,
        )

    def start_object(self, object_name: str, limit: int, too_large: Exception) -> HashingWriter:
        """A streamed upload of a new object, created only when `finish()` is called.

        Memory stays bounded whatever the size; an upload never finished leaves no object.
        """
        upload = MultipartUpload(
            self._http, self._endpoint, self._name, object_name, APK_MEDIA_TYPE
        )
        return HashingWriter(upload, limit, too_large)

    @backend_call("Cloud Storage")
    def mark_failed(self, object_name: str, generation: int) -> None:
        """Sets the object's customTime, which the bucket's lifecycle rule for failed uploads
        counts from (a file that is gone already needs nothing)."""
        blob = self._bucket.blob(object_name, generation=generation)
        blob.custom_time = datetime.datetime.now(datetime.UTC)
        with contextlib.suppress(api_exceptions.NotFound):
            blob.patch(if_generation_match=generation)

    @backend_call("Cloud Storage")
    def put_object(self, object_name: str, data: bytes, content_type: str) -> None:
        """A small object in one request (icons)."""
        self._bucket.blob(object_name).upload_from_string(
            data, content_type=content_type, if_generation_match=0
        )

    @backend_call("IAM signBlob")
    def signed_get_url(
        self,
        object_name: str,
        ttl: datetime.timedelta,
        download_name: str | None = None,
        media_type: str | None = None,
    ) -> str:
        """A V4 URL that reads the object, optionally saving it as `download_name`, served as
        `media_type` (else as stored)."""
        disposition = None
        if download_name:
            disposition = f'attachment; filename="{download_name}"'
        return self._bucket.blob(object_name).generate_signed_url(
            version="v4",
            method="GET",
            expiration=ttl,
            response_disposition=disposition,
            response_type=media_type,
            **self._signing_arguments(),
        )

    @backend_call("Cloud Storage")
    def delete_object(self, object_name: str) -> None:
        with contextlib.suppress(api_exceptions.NotFound):
            self._bucket.delete_blob(object_name)

    @backend_call("Cloud Storage")
    def sha256_of(self, object_name: str, generation: int) -> str:
        """Reads the object once, in large chunks, to hash it (Cloud Storage keeps no SHA-256)."""
        digest = hashlib.sha256()
        blob = self._bucket.blob(object_name, generation=generation)
        with _reader(blob, READ_CHUNK_BYTES) as reader:
            while chunk := reader.read(READ_CHUNK_BYTES):
                digest.update(chunk)
        return digest.hexdigest()

    @contextmanager
    def open_object(self, stored: StorageObject) -> Iterator[SeekableReader]:
        """Opens one generation for reading; every read is a ranged request, several at once
        on connections opened meanwhile."""
        open_connections(self._http, self._endpoint, MAX_CONCURRENT_PREFETCHES)
        try:
            yield ObjectReader(self._bucket, stored)
        except api_exceptions.NotFound as exc:
            raise ObjectGone(f"gs://{self.name}/{stored.name}#{stored.generation}") from exc


def _reader(blob: storage.Blob, chunk_size: int) -> io.BufferedIOBase:
    # The library's open() is unannotated: "rb" gives a BlobReader, a BufferedIOBase.
    return cast(io.BufferedIOBase, blob.open("rb", chunk_size=chunk_size))


class ObjectReader:
    """One generation of an object read by ranges: each read is one ranged request, and
    read_ranges may be called from several threads at once (the APK source fetches its spans
    so). Failed reads raise BackendUnavailable.

    Its known size spares the metadata request a BlobReader makes before its first seek (the
    callers buffer reads themselves). A dropped connection surfaces from `requests` as an
    OSError, which the APK inspection would otherwise report as a truncated file; this way the
    event is retried instead.
    """

    def __init__(self, bucket: storage.Bucket, stored: StorageObject) -> None:
        self._bucket = bucket
        self._stored = stored
        self._position = 0

    def read(self, size: int = -1, /) -> bytes:
        end = self._stored.size if size < 0 else min(self._stored.size, self._position + size)
        data = self._read_range((self._position, end - self._position))
        self._position += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._stored.size}
        self._position = max(0, base[whence] + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def seekable(self) -> bool:
        return True

    def read_ranges(self, ranges: Sequence[tuple[int, int]], /) -> list[bytes]:
        return [self._read_range(span) for span in ranges]

    def _read_range(self, span: tuple[int, int]) -> bytes:
        offset, length = span
        length = min(length, self._stored.size - offset)
        if length <= 0:
            return b""
        # A blob of its own per request: downloads update the blob's properties as they go.
        blob = self._bucket.blob(self._stored.name, generation=self._stored.generation)
        # No checksum: the object's hashes cover it whole, not a range (BlobReader does the
        # same; the library's annotation omits the None its docs allow).
        with storage_failures_are_transient():
            return blob.download_as_bytes(
                start=offset,
                end=offset + length - 1,
                checksum=None,  # pyright: ignore[reportArgumentType]
            )
