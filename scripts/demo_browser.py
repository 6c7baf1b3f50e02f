"""A throwaway demo server and a signed-in Chromium, for the scripts that drive the app as a
person would (``scripts/screens.py``, ``scripts/walkthrough_clicks.py``).

``DemoServer`` migrates and seeds a fresh SQLite database in a temporary folder
(``seed_demo --size N``), starts ``runserver`` on a free loopback port with the first-run
settings, and removes everything when done. ``sign_in`` signs a demo user in with both factors:
the password the demo publishes and a TOTP code computed from the authenticator key
``seed_demo`` prints (as the browser tests compute it from the device). The browser is Debian's
Chromium (``/usr/bin/chromium``), never a downloaded one.
"""

import base64
import hashlib
import hmac
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
DEMO_PASSWORD_SUFFIX = "-demo-2026!"  # noqa: S105  # nosec B105: seed_demo.demo_password


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def totp(key_base32: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The RFC 6238 code of a base32 key at ``at`` (epoch seconds, default now)."""
    key = base64.b32decode(key_base32)
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


class DemoServer:
    """A seeded demo on ``self.url``; a context manager. ``keys``: username -> TOTP key."""

    def __init__(self, size: int = 0):
        self.size = size
        self.folder = Path(tempfile.mkdtemp(prefix="ncii-demo-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.keys: dict[str, str] = {}
        self.process: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": f"sqlite:///{self.folder / 'db.sqlite3'}",
            "PRIVATE_MEDIA_ROOT": str(self.folder / "private"),
            "AUDIT_CHECKPOINT_DIR": str(self.folder / "checkpoints"),
            "DEBUG": "true",
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603  # nosec B603: our manage.py, fixed arguments
            [str(PYTHON), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def __enter__(self) -> "DemoServer":
        # A migrated database to copy (for repeated runs while developing); else migrate.
        template = os.environ.get("NCII_DEMO_TEMPLATE_DB")
        if template:
            shutil.copy(template, self.folder / "db.sqlite3")
        else:
            log("Migrating a fresh SQLite database...")
            self.manage("migrate", "--noinput", "--verbosity", "0")
        log(f"Seeding the demo (--size {self.size})...")
        started = time.monotonic()
        out = self.manage("seed_demo", "--size", str(self.size))
        log(f"  seeded in {time.monotonic() - started:.0f} s")
        for username, key in re.findall(r"^\s+(\S+)\s+key ([A-Z2-7]+)$", out, re.MULTILINE):
            self.keys[username] = key
        self.process = subprocess.Popen(  # noqa: S603  # nosec B603: our manage.py
            [str(PYTHON), "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=self.env,
            stdout=(self.folder / "server.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=5):  # noqa: S310  # nosec B310: loopback
                    return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.5)
        log((self.folder / "server.log").read_text(errors="replace")[-3000:])
        self.__exit__(None, None, None)
        raise RuntimeError("The demo server did not start.")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def sign_in(page, server: DemoServer, username: str) -> None:
    """Signs ``username`` in through both steps, by the fields' labels and the buttons'
    names."""
    page.goto(f"{server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"{username.capitalize()}{DEMO_PASSWORD_SUFFIX}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/login/verify/**")
    # A code is accepted once: wait for a fresh 30-second window if this one is nearly over.
    if time.time() % 30 > 27:
        time.sleep(4)
    page.get_by_label("Code", exact=True).fill(totp(server.keys[username]))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{server.url}/", timeout=120000)
