"""What an APK (or an App Bundle) is: the one inspection every flow uses (build uploads, app
uploads, emails...).

``inspect_apk(source)`` reads a seekable binary file by ranges (the zip's end records, central
directory and APK Signing Block, the manifest, resources.arsc and the launcher icon) and returns
an ``ApkInspection``: ``info`` (an ``ApkInfo`` to store and return as ``apkInfo``) and ``icon``
(the icon's bytes, kept out of ApkInfo because Firestore documents are capped at 1 MiB) and, when
asked for with ``min_target_sdk``, ``checks`` (Play-readiness, each pass, warn or fail). Every
byte is treated as hostile: whatever goes wrong surfaces as ``ApkError`` with a reason meant for
people, within the limits of ``apkdrop.apk.limits``. The work is done in ``apkdrop.apk``.
"""

from apkdrop.apk.checks import CHECK_TITLES, failure_lines
from apkdrop.apk.errors import ApkError
from apkdrop.apk.inspection import inspect_apk
from apkdrop.apk.models import ApkIcon, ApkInfo, ApkInspection, ApkSigning, PlayCheck

__all__ = [
    "CHECK_TITLES",
    "ApkError",
    "ApkIcon",
    "ApkInfo",
    "ApkInspection",
    "ApkSigning",
    "PlayCheck",
    "failure_lines",
    "inspect_apk",
]
