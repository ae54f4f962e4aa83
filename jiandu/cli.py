"""The `jiandu` console command: Django's management commands under the project's name.

`jiandu serve`, `jiandu demo`, `jiandu createuser --role ROLE` are commands of the rooms;
everything Django offers (`migrate`, `shell`, `check`, ...) works as with manage.py.
"""

import os
import sys

# Commands that check what others publish: they hold nothing of their own (jiandu/settings.py).
VERIFIERS = ("verify", "verify-mirror")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiandu.settings")
    if sys.argv[1:2] and sys.argv[1] in VERIFIERS:
        os.environ["JIANDU_VERIFIER_ONLY"] = "1"
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "jiandu"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
