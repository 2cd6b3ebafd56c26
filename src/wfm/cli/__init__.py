"""The ``wfm`` command line: a thin click shell over the library.

Every command parses its options, calls one library function, and renders the result. Errors a
user can fix print one ``Error: …`` line and exit 1; anything unexpected exits 2
(:class:`~wfm.cli.base.WfmGroup`). One module per group of commands: :mod:`~wfm.cli.data`,
:mod:`~wfm.cli.forecasting`, :mod:`~wfm.cli.planning` and :mod:`~wfm.cli.weekly`.
"""

from wfm.cli import data, forecasting, planning, weekly  # noqa: F401  (registers the commands)
from wfm.cli.base import cli, main

__all__ = ["cli", "main"]
