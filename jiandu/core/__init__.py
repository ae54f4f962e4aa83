"""The project shell: base layout, stylesheet, security headers, `jiandu serve` and `jiandu demo`.

Every room may import `core`; `core` imports no room except through the rooms' public functions
in its two management commands.
"""
