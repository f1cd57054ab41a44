"""`python -m kapbot` is the `kapbot` command."""

from kapbot.cli import main

main()
