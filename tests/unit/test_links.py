"""The links and version labels apkdrop hands out, each built in one place."""

import pytest

from apkdrop import links
from apkdrop.version_labels import label, parse_label

APP_ID = "Rwny7-TWRx_y1WL3YNmYXg"


@pytest.mark.parametrize("base", ["https://apkdrop.example.test", "https://apkdrop.example.test/"])
def test_links_are_absolute_under_the_public_base_url(base: str) -> None:
    assert links.magic_link(base, APP_ID) == f"https://apkdrop.example.test/app/{APP_ID}"
    assert links.versioned_link(base, APP_ID, 12) == (
        f"https://apkdrop.example.test/app/{APP_ID}?version=12.0"
    )
    assert links.sign_in_link(base, "abc.def") == (
        "https://apkdrop.example.test/auth/verify?token=abc.def"
    )


def test_pages_and_downloads_are_paths_of_this_site() -> None:
    assert links.app_page(APP_ID) == f"/app/{APP_ID}"
    assert links.app_page(APP_ID, 3) == f"/app/{APP_ID}?version=3.0"
    assert links.download(APP_ID, 3) == f"/app/{APP_ID}/download?version=3.0"


@pytest.mark.parametrize(
    ("path", "page"),
    [
        *[(f"/app/{APP_ID}", f"/app/{APP_ID}")],
        *[(f"/app/{APP_ID}?version=3.0", f"/app/{APP_ID}?version=3.0")],
        *[(f"/app/{APP_ID}?version=3", f"/app/{APP_ID}?version=3.0")],  # rebuilt, not echoed
        *[(f"/app/{APP_ID}?channel=nightly", f"/app/{APP_ID}?channel=nightly")],
        *[(f"/app/{APP_ID}?channel=beta&version=2.0", f"/app/{APP_ID}?version=2.0&channel=beta")],
        ("//evil.example/app/x", None),
        ("//evil.com", None),
        ("/app/", None),
        (f"https://evil.example/app/{APP_ID}", None),
        (f"/app/{APP_ID}/../..", None),
        (f"/app/{APP_ID}/download?version=1.0", None),
        (f"/app/{APP_ID}?version=1.0&next=http://evil", None),
        (f"/app/{APP_ID}?version=1.0&version=2.0", None),
        (f"/app/{APP_ID}?version=1.5", None),
        (f"/app/{APP_ID}?version=", None),
        (f"/app/{APP_ID}?version", None),
        (f"/app/{APP_ID}?channel=Nightly", None),
        (f"/app/{APP_ID}?channel=nightly%0d%0aSet-Cookie:a=b", None),
        (f"/app/{APP_ID}?channel=nightly\r\nSet-Cookie: a=b", None),
        (f"/app/{APP_ID}\r\nSet-Cookie: a=b", None),
        (f"/app/{APP_ID}?", None),
        (f"/app/{APP_ID}?&", None),
        (f"/app/{APP_ID}#x", None),
        ("/app/short", None),  # no id this API mints
    ],
)
def test_only_app_pages_are_ours_to_return_to(path: str, page: str | None) -> None:
    assert links.app_page_in(path) == page


@pytest.mark.parametrize("number", [1, 9, 10, 123456])
def test_a_label_reads_back_as_its_number(number: int) -> None:
    assert parse_label(label(number)) == number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        *[("3.0", 3), ("3", 3), ("03", 3)],
        *[("3.5", None), ("3.00", None), ("0.0", None), ("", None), ("abc", None)],
        *[("-1", None), ("1.0.0", None), (" 1", None), ("²", None)],
    ],
)
def test_parse_label(text: str, number: int | None) -> None:
    assert parse_label(text) == number
