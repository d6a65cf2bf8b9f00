"""The one exception inspection raises for a file it cannot accept."""


class ApkError(Exception):
    """The file is not an APK we can read; ``reason`` says why in words a person understands.
    ``file_type`` is "AAB" once the file is known to be an App Bundle."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.file_type = "APK"
