"""`python -m apkdrop_cli` is the `apkdrop` command."""

from apkdrop_cli.main import main

main()
