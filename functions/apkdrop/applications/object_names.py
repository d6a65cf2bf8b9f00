"""Where a version's APK lives in the upload bucket: one rule for streamed and PUT uploads."""


def apk_object_name(account_id: str, key: str) -> str:
    """`applications/{account}/{key}.apk`, under a key never used before (an opaque id)."""
    return f"applications/{account_id}/{key}.apk"
