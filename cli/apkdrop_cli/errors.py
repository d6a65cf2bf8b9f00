"""Exit codes, and the errors that end a command with one."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    # The server refused the request (4xx, its detail is shown), or a build FAILED.
    FAILED = 1
    # Bad flags or configuration: no API URL or key, a missing or unreadable file.
    USAGE = 2
    # The API or storage could not be reached, or kept answering 429/5xx, after every retry.
    UNAVAILABLE = 3
    # --wait gave up before every build was FINISHED or FAILED.
    TIMEOUT = 4
    INTERRUPTED = 130


class CliError(Exception):
    """Ends the command with `exit_code` and `message` on stderr."""

    exit_code = ExitCode.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CliError):
    exit_code = ExitCode.USAGE


class Refused(CliError):
    """A 4xx answer: `detail` is what the server said."""

    exit_code = ExitCode.FAILED

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class Unavailable(CliError):
    exit_code = ExitCode.UNAVAILABLE
