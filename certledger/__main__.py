"""``python -m certledger``: the same command as the ``certledger`` console script."""

from certledger.cli import main

main()
