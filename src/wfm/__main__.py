"""``python -m wfm``."""

from wfm.cli import main

main()
