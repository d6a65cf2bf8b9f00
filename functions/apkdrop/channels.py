"""Release channels: the one home for what a channel name may be, and the default one."""

import re

# Versions uploaded without a channel, and stored before channels existed, are in this one.
DEFAULT_CHANNEL = "default"
CHANNEL_PATTERN = re.compile(r"[a-z0-9._-]{1,64}")
CHANNEL_RULE = "channel must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'"


def is_channel(text: str) -> bool:
    return CHANNEL_PATTERN.fullmatch(text) is not None
