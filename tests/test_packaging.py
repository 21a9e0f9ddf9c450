"""`pip install .` gives a KuangAn that serves its pages, static files and translations from
anywhere (issue 12): templates/, static/ and locale/ sit at the repository's root, and the wheel
must carry them (pyproject.toml, package-data; settings.PACKAGE_DIR).

The wheel is built from a copy of the tree and installed into a fresh virtualenv with no access to
the checkout. Its dependencies are the test run's own (a .pth line to this venv's site-packages,
not processed as a site directory, so this venv's editable KuangAn stays out of it): nothing is
downloaded. From an empty directory the installed package migrates a new SQLite database, passes
`check`, collects its static files, and serves the login page and app.css through gunicorn and
WhiteNoise, in Chinese and in English.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What `pip install .` reads: the packages, the three linked directories and the packaging file.
TREE = ["pyproject.toml", "compliance", "tenants", "templates", "static", "locale"]
# The test run's environment, less what would point the installed app at the checkout or at the
# test run's services: the installed app runs on its embedded defaults.
DROPPED = {
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "PYTHONPATH",
    "KUANGAN_VAR_DIR",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "TEST_DATABASE_APP_ROLE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, language: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Language": language})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python of the fresh venv, its environment, the empty directory it runs from)."""
    base = tmp_path_factory.mktemp("packaging")
    source = base / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in TREE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)

    # Built with this venv's setuptools (the test extras pin one that builds wheels by itself).
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            base / "dist",
            source,
        ]
    )
    (wheel,) = (base / "dist").glob("kuangan-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for shipped in (
        "compliance/templates/base.html",
        "compliance/templates/registration/login.html",
        "compliance/static/css/app.css",
        "compliance/locale/zh_Hans/LC_MESSAGES/django.mo",
    ):
        assert shipped in names, f"the wheel lacks {shipped}"

    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = Path(
        _run([python, "-c", "import sysconfig;print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    (site / "kuangan-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel])

    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in DROPPED} | {
        "DJANGO_SETTINGS_MODULE": "compliance.settings"
    }
    return python, env, elsewhere


def test_the_installed_package_is_the_one_that_runs(installed):
    python, env, elsewhere = installed
    code = (
        "import compliance, tenants, django; django.setup(); from django.conf import settings; "
        "print(compliance.__file__, tenants.__file__, settings.PACKAGE_DIR, settings.VAR_DIR)"
    )
    lines = _run([python, "-c", code], cwd=elsewhere, env=env).stdout.split()
    venv = python.parent.parent
    for path in lines[:3]:
        assert Path(path).is_relative_to(venv), f"{path} is not in the fresh venv {venv}"
    assert not (Path(lines[2]) / "templates").is_symlink()  # real directories, copied into the wheel
    # Installed, the data lives under the working directory, not in site-packages.
    assert Path(lines[3]) == elsewhere / "var"


def test_the_installed_package_migrates_and_serves_pages_static_files_and_translations(installed):
    python, env, elsewhere = installed
    django = [python, "-m", "django"]
    _run([*django, "migrate", "--no-input", "-v0"], cwd=elsewhere, env=env)
    assert (elsewhere / "var" / "db.sqlite3").is_file()
    _run([*django, "check", "--fail-level", "ERROR"], cwd=elsewhere, env=env)
    # The project's own static files; the third-party ones (admin, DRF, Swagger UI: 13 MB that
    # WhiteNoise compresses with Brotli, about a minute here) come through the same finders.
    skip_third_party = ["-i", "admin", "-i", "rest_framework", "-i", "drf_spectacular_sidecar"]
    _run([*django, "collectstatic", "--no-input", "-v0", *skip_third_party], cwd=elsewhere, env=env)
    collected = elsewhere / "var" / "staticfiles" / "css" / "app.css"
    assert collected.read_bytes() == (ROOT / "static" / "css" / "app.css").read_bytes()

    port = _free_port()
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "compliance.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        login = f"http://127.0.0.1:{port}/accounts/login/"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, page = _get(login, "zh-CN,zh;q=0.9")
                break
            except OSError:
                assert server.poll() is None, f"gunicorn stopped:\n{server.stderr.read()}"
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.2)
        html = page.decode()
        assert status == 200
        # The real templates (base.html around registration/login.html), in Chinese from the .mo.
        assert 'href="/static/css/app.css"' in html
        assert 'name="password"' in html
        assert "矿山安全合规管理" in html and "账号" in html
        status, page = _get(login, "en")
        assert status == 200 and "Login name" in page.decode() and "账号" not in page.decode()

        status, css = _get(f"http://127.0.0.1:{port}/static/css/app.css", "en")
        assert status == 200 and css == collected.read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=30)
