"""`python -m avtomon` runs the CLI (cron lines and tests use it with a chosen interpreter)."""

from avtomon.cli import main

main()
