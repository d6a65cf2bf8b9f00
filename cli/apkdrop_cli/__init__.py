"""apkdrop's command-line client: uploads Android builds and apps from CI."""

__version__ = "0.1.0"
