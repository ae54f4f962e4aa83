"""`jiandu demo` loads every room's demo content and prints the admin's login last."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_prints_the_one_time_login_last_and_runs_twice(capsys):
    call_command("demo")
    out = capsys.readouterr().out
    assert out.index("Demo (cases)") < out.index("Demo (newsroom)")
    assert "password: " in out and "otpauth://totp/Jiandu:admin?secret=" in out
    call_command("demo")  # idempotent: a fresh login while the admin has not signed in
    again = capsys.readouterr().out
    assert "password: " in again
