"""The interpreter's recursion limit, put back where the C stack can hold it.

Python's C JSON parser recurses once per nested array or object and stops at the interpreter's
recursion limit with `RecursionError`. `py_ecc`, which the Ethereum libraries import
(`eth_keyfile`), raises that limit to 100,000 when it is imported: the parser then runs off the
C stack long before the limit and the process dies with a segmentation fault. One 200 KB body of
brackets was enough to kill the API and the workers beside it.

So the limit is put back here, once `py_ecc` has raised it; and every parser of outside JSON
first checks the nesting with `ledger.check_json_depth`, which does not recurse at all.
"""

from __future__ import annotations

import contextlib
import importlib
import sys

RECURSION_LIMIT = 1000
"""The interpreter's own default, which the C stack holds in every thread we start."""


def restore_recursion_limit() -> None:
    """Imports `py_ecc` (which raises the recursion limit) and puts the limit back.

    `py_ecc` raises the limit only on its first import, so once this has run the limit stays.
    """
    with contextlib.suppress(ImportError):  # without it, nothing raised the limit
        importlib.import_module("py_ecc")
    if sys.getrecursionlimit() > RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)


restore_recursion_limit()
