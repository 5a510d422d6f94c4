"""Allow ``python -m <package>``."""

from .cli import main

main()
