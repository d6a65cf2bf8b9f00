"""Release channels: the one home for what a channel name may be, and the default one."""

import re

# Versions uploaded without a channel, and stored before channels existed, are in this one.
DEFAULT_CHANNEL = "default"
CHANNEL_PATTERN = re.compile(r"[a-z0-9._-]{1,64}")
