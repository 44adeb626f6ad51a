"""`python -m ilpnode` is the `ilpnode` command."""

from ilpnode.cli import main

main()
