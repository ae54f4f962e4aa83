"""The onion service: `jiandu onion` writes the Tor configuration and reads the address back
(only a v3 address whose checksum holds); the site sends Onion-Location; with the onion-only
setting the tip line answers on the clearnet host only with the way to the onion address,
storing nothing, while the onion host works as before."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jiandu.tipline import onion
from jiandu.vault.models import Source
from tests.tipline.helpers import make_reader

pytestmark = pytest.mark.django_db

# The Tor Project's own onion address (a real v3 address: its checksum holds).
REAL = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
ADDRESS = onion.address_for_key(bytes(range(32)))


def test_real_and_generated_addresses_pass_and_a_typo_does_not():
    assert onion.valid_address(REAL) == REAL
    assert onion.valid_address(f"  {ADDRESS.upper()}\n") == ADDRESS
    typo = ("a" if REAL[10] != "a" else "b").join((REAL[:10], REAL[11:]))
    for bad in (
        typo,
        REAL[:-6] + ".onio",
        "http://" + REAL,
        REAL + ":80",
        REAL + "/",
        "facebookcorewwwi.onion",  # v2: gone
        "1" * 56 + ".onion",  # not base32
        "",
    ):
        with pytest.raises(onion.OnionError):
            onion.valid_address(bad)


def test_wrong_version_byte_is_refused():
    import base64

    key = bytes(32)
    raw = key + onion.checksum(key) + b"\x02"
    with pytest.raises(onion.OnionError):
        onion.valid_address(base64.b32encode(raw).decode().lower() + ".onion")


def test_the_command_writes_the_tor_configuration_and_reads_the_address(
    tmp_path, isolated_data_dir, settings
):
    service = tmp_path / "hs"
    torrc = tmp_path / "jiandu.torrc"
    out = StringIO()
    call_command(
        "onion",
        "--hidden-service-dir",
        str(service),
        "--torrc",
        str(torrc),
        "--port",
        "8123",
        stdout=out,
    )
    text = torrc.read_text()
    assert f"HiddenServiceDir {service}/" in text
    assert "HiddenServicePort 80 127.0.0.1:8123" in text
    assert "HiddenServicePoWDefensesEnabled 1" in text
    assert "HiddenServiceEnableIntroDoSDefense 1" in text
    assert f"%include {torrc}" in out.getvalue()
    assert "No onion address yet" in out.getvalue()
    assert onion.stored_address(isolated_data_dir) == ""
    # Tor started the service and wrote its hostname.
    service.mkdir()
    (service / "hostname").write_text(ADDRESS + "\n")
    out = StringIO()
    call_command("onion", "--hidden-service-dir", str(service), "--torrc", str(torrc), stdout=out)
    assert f"Onion address: {ADDRESS}" in out.getvalue()
    assert onion.stored_address(isolated_data_dir) == ADDRESS


def test_the_command_refuses_a_mistyped_address(tmp_path, isolated_data_dir):
    typo = ADDRESS[:5] + ("a" if ADDRESS[5] != "a" else "b") + ADDRESS[6:]
    with pytest.raises(CommandError, match="checksum"):
        call_command(
            "onion",
            "--hidden-service-dir",
            str(tmp_path / "hs"),
            "--torrc",
            str(tmp_path / "t"),
            "--address",
            typo,
            stdout=StringIO(),
        )
    assert onion.stored_address(isolated_data_dir) == ""


def test_a_tampered_or_unreadable_hostname_is_not_taken(tmp_path):
    service = tmp_path / "hs"
    service.mkdir()
    (service / "hostname").write_text("evil" + ADDRESS[4:])
    with pytest.raises(onion.OnionError):
        onion.read_hostname(service)
    (service / "hostname").write_bytes(b"\xff\xfe")
    with pytest.raises(onion.OnionError):
        onion.read_hostname(service)


def test_the_settings_read_the_stored_address(tmp_path):
    """A fresh process: the stored address becomes an allowed host and ONION_ADDRESS."""
    (tmp_path / "onion_address").write_text(ADDRESS + "\n")
    env = dict(os.environ, JIANDU_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="jiandu.settings")
    env.pop("JIANDU_ONION_ADDRESS", None)
    code = (
        "from django.conf import settings; "
        "print(settings.ONION_ADDRESS in settings.ALLOWED_HOSTS, settings.ONION_ADDRESS)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.split() == ["True", ADDRESS]


@pytest.fixture
def onion_site(settings):
    settings.ONION_ADDRESS = ADDRESS
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ADDRESS]
    return settings


def test_every_answer_carries_onion_location(onion_site):
    client = Client()
    for path in ("/en/", "/en/submit/", "/cases/", "/en/newsroom/"):
        response = client.get(path)
        assert response["Onion-Location"] == f"http://{ADDRESS}{path}", path
    response = client.get("/en/cases/?q=1")
    assert response["Onion-Location"] == f"http://{ADDRESS}/en/cases/?q=1"
    assert ADDRESS in client.get("/en/").content.decode()  # the landing page names it


def test_no_onion_location_without_an_address(settings):
    settings.ONION_ADDRESS = ""
    assert "Onion-Location" not in Client().get("/en/")


def test_onion_only_shows_the_way_on_clearnet_and_stores_nothing(onion_site):
    onion_site.TIPLINE_ONION_ONLY = True
    make_reader()
    clearnet = Client()
    page = clearnet.get("/en/")
    assert page.status_code == 200
    text = page.content.decode()
    assert ADDRESS in text and "Tor Browser" in text and 'name="message"' not in text
    assert clearnet.get("/en/submit/").content.decode().count('name="files"') == 0
    response = clearnet.post("/en/submit/", {"message": "hello", "style": "en", "website": ""})
    assert response.status_code == 403
    created = clearnet.post(
        "/en/upload/", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10"}
    )
    assert created.status_code == 403 and created["Tus-Resumable"] == "1.0.0"
    assert clearnet.post("/en/return/", {"codename": "a b c"}).status_code == 403
    assert not Source.objects.exists()
    # The newsroom and the public site stay on clearnet.
    assert clearnet.get("/en/newsroom/").status_code == 200
    assert clearnet.get("/en/cases/").status_code == 200
    designer = clearnet.get("/en/newsroom/questionnaire/")  # the newsroom's, not the tip line's
    assert designer.status_code == 302 and "/newsroom/" in designer["Location"]

    on_onion = Client(HTTP_HOST=ADDRESS)
    assert 'name="message"' in on_onion.get("/en/submit/").content.decode()
    response = on_onion.post("/en/submit/", {"message": "hello", "style": "en", "website": ""})
    assert response.status_code == 302
    assert Source.objects.count() == 1
    assert ADDRESS not in on_onion.get("/en/").content.decode()  # no need to point there
