#!/usr/bin/env python
"""Django's usual entry point; `jiandu` (jiandu/cli.py) is the same thing, installed."""

from jiandu.cli import main

if __name__ == "__main__":
    main()
