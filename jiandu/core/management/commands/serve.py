"""`jiandu serve`: prepare the database and static files, then run the web server and the
background worker side by side until interrupted."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse
from django.utils import translation


def public_urls(base: str) -> dict[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "Tip line": base + reverse("tipline:landing"),
            "Newsroom": base + reverse("accounts:login"),
            "Public site": base + reverse("public:home"),
        }


class Command(BaseCommand):
    help = "Migrate, collect static files, and serve Jiandu on 127.0.0.1 with a task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.JIANDU_PORT)
        parser.add_argument("--host", default=os.environ.get("JIANDU_HOST", "127.0.0.1"))
        parser.add_argument("--no-worker", action="store_true", help="Do not start the worker.")

    def handle(self, *args: object, **options: object) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        for name, process in self.startup_hooks():
            self.stdout.write(f"{name}: {process}")

        port, host = options["port"], options["host"]
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="jiandu.settings")
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "python:jiandu.core.gunicorn_conf",
                    "--bind",
                    f"{host}:{port}",
                ],
                env=env,
            )
        ]
        if not options["no_worker"]:
            children.append(
                subprocess.Popen([sys.executable, "-m", "jiandu.cli", *worker_command()], env=env)
            )
        base = f"http://{host}:{port}"
        self.stdout.write("\nJiandu is running:")
        for label, url in public_urls(base).items():
            self.stdout.write(f"  {label:<12} {url}")
        self.stdout.write("Press Ctrl+C to stop.\n")
        self.stdout.flush()

        def stop(signum: int, frame: object) -> None:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop(signal.SIGTERM, None)
            for child in children:
                try:
                    child.wait(timeout=35)
                except subprocess.TimeoutExpired:
                    child.kill()
        codes = [child.returncode for child in children]
        if any(code not in (0, -signal.SIGTERM, None) for code in codes):
            sys.exit(1)

    def startup_hooks(self) -> list[tuple[str, str]]:
        """Clean-ups rooms run before serving (e.g. leftovers of interrupted uploads)."""
        from django.apps import apps

        results = []
        for config in apps.get_app_configs():
            hook = getattr(config, "on_serve", None)
            if hook is not None:
                results.append((config.label, hook()))
        return results


def worker_command() -> list[str]:
    """The worker beside the web server, for the task backend in use (docs/operations.md)."""
    if settings.TASKS["default"]["BACKEND"] == settings.TASK_BACKENDS["redis"]:
        return ["redis_worker"]
    return ["db_worker", "--interval", "1"]
