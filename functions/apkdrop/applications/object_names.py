"""Where a version's APK lives in the upload bucket: one rule for streamed and PUT uploads."""


def apk_object_name(account_id: str, key: str) -> str:
    """`applications/{account}/{key}.apk`, under a key never used before (an opaque id)."""
    return f"applications/{account_id}/{key}.apk"


def large_upload_files(record: dict) -> list[str]:
    """What a large-upload record names: its APK, then the icon of an upload left to the sweep
    (large_uploads.leave_to_sweep), which no version keeps unless it keeps the APK."""
    icon = record.get("iconObject")
    return [record["objectName"], *([icon] if icon else [])]
