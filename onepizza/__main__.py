"""Lets `python -m onepizza` run the command-line interface."""

from onepizza.cli import main

raise SystemExit(main())
