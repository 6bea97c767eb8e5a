"""``python -m rollmed``: see :func:`rollmed._cli.main`."""

from rollmed._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
