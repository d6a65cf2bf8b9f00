"""DownloadLog: `FakeDownloadLog` and `firestore_downloads.DownloadJournal` keep the same
contract, counting on the versions `FakeApplicationStore` and `ApplicationStore` keep."""

import datetime
from dataclasses import dataclass

import pytest

from apkdrop.adapters import firestore_applications, firestore_downloads
from apkdrop.adapters.errors import BackendUnavailable
from apkdrop.applications.models import Application
from apkdrop.applications.ports import ApplicationRepository
from apkdrop.downloads.models import DownloadEvent, Via
from apkdrop.downloads.ports import DownloadLog
from apkdrop.ids import new_opaque_id
from apkdrop.paging import TimeCursor
from tests.fakes import FakeApplicationStore, FakeDownloadLog
from tests.integration.contract.conftest import IMPLEMENTATIONS
from tests.integration.contract.test_application_repository import append, created, new_app

pytestmark = pytest.mark.integration
AT = datetime.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=datetime.UTC)


@dataclass
class Record:
    downloads: DownloadLog
    applications: ApplicationRepository


@pytest.fixture(params=IMPLEMENTATIONS)
def record(request: pytest.FixtureRequest) -> Record:
    if request.param == "fake":
        applications = FakeApplicationStore()
        return Record(FakeDownloadLog(applications), applications)
    client = request.getfixturevalue("firestore_client")
    return Record(
        firestore_downloads.DownloadJournal(client),
        firestore_applications.ApplicationStore(client),
    )


def app_with_versions(record: Record, versions: int = 2) -> Application:
    app = created(record.applications, new_app())
    for _ in range(versions - 1):
        app, _ = append(record.applications, app)
    return app


def event(
    app: Application, number: int = 1, seconds: float = 0, visitor: str | None = None
) -> DownloadEvent:
    return DownloadEvent(
        id=new_opaque_id(),
        appId=app.id,
        versionNumber=number,
        at=AT + datetime.timedelta(seconds=seconds),
        visitor=visitor,
        via=Via.PAGE if visitor is None else Via.API,
    )


def count(record: Record, app: Application, number: int) -> int:
    found = record.applications.get_version(app.id, number)
    assert found is not None
    return found[1].downloadCount


def test_a_download_is_stored_and_counted_on_its_version(record: Record) -> None:
    app = app_with_versions(record)
    first, second = event(app, 2, visitor="qa@example.com"), event(app, 2, seconds=1)

    record.downloads.record(first)
    record.downloads.record(second)

    assert record.downloads.newest(app.id, None, 10, None) == [second, first]
    assert (count(record, app, 1), count(record, app, 2)) == (0, 2)


def test_a_download_of_a_missing_version_stores_nothing(record: Record) -> None:
    app = app_with_versions(record, versions=1)
    with pytest.raises(BackendUnavailable):
        record.downloads.record(event(app, 7))
    assert record.downloads.newest(app.id, None, 10, None) == []


def test_an_event_is_recorded_once(record: Record) -> None:
    """Its id is created, never overwritten: a replay neither adds a row nor counts again."""
    app = app_with_versions(record, versions=1)
    once = event(app)
    record.downloads.record(once)
    with pytest.raises(BackendUnavailable):
        record.downloads.record(once)
    assert record.downloads.newest(app.id, None, 10, None) == [once]
    assert count(record, app, 1) == 1


def test_the_newest_come_first_within_the_limit_and_the_app(record: Record) -> None:
    app, other = app_with_versions(record), app_with_versions(record)
    events = [event(app, 1 + i % 2, seconds=i) for i in range(5)]
    for each in [*events, event(other, 1, seconds=10)]:
        record.downloads.record(each)

    assert record.downloads.newest(app.id, None, 3, None) == events[:1:-1]
    assert record.downloads.newest(app.id, 2, 10, None) == [events[3], events[1]]
    assert record.downloads.newest(app.id, 1, 10, None) == [events[4], events[2], events[0]]


def test_a_page_resumes_after_its_cursor(record: Record) -> None:
    app = app_with_versions(record)
    # Three of the same microsecond: the id orders them.
    events = [event(app, 1, seconds=1), event(app, 1), event(app, 1), event(app, 2), event(app, 1)]
    for each in events:
        record.downloads.record(each)
    everything = record.downloads.newest(app.id, None, 10, None)
    assert everything[0] == events[0]
    assert sorted(e.id for e in everything[1:]) == [e.id for e in everything[:0:-1]]

    pages, after = [], None
    while page := record.downloads.newest(app.id, None, 2, after):
        pages.append(page)
        after = TimeCursor(at=page[-1].at, id=page[-1].id)
    assert [e for page in pages for e in page] == everything
    assert [len(page) for page in pages] == [2, 2, 1]

    ones = record.downloads.newest(app.id, 1, 10, None)
    cursor = TimeCursor(at=ones[0].at, id=ones[0].id)
    assert record.downloads.newest(app.id, 1, 10, cursor) == ones[1:]
