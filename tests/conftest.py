"""Settings shared by every test."""

import os

from hypothesis import settings

# CI runs the property and fuzz tests on a fixed stream of examples, so a landing never hinges
# on luck; developers' runs explore new examples each time (and keep failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
