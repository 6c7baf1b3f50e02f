"""Real processes for the tests that run the app as it is deployed: gunicorn (and a Celery
worker) started natively on PostgreSQL and Redis, and, for the reliability suite, a throwaway
PostgreSQL server of its own that a test may restart without touching the machine's cluster.
"""

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
TEST_HOST = "cases.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_of_this_test() -> str:
    """A URL for the test database the test process uses (test_<name>), so that the
    subprocesses see the rows this test commits."""
    db = connection.settings_dict
    assert db["ENGINE"].endswith("postgresql")
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"


def production_env(tmp_path: Path, database_url: str | None = None) -> dict:
    """The environment of a production process: the test's database (or ``database_url``),
    Redis, and private folders under ``tmp_path``."""
    from django.conf import settings

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": TEST_HOST,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url or database_url_of_this_test(),
        "CONN_MAX_AGE": "0",
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "STATIC_ROOT": str(tmp_path / "static"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        # The test's audit key, so that rows the processes write verify in the test.
        "AUDIT_HMAC_KEY_ID": settings.AUDIT_HMAC_KEY_ID,
        "AUDIT_HMAC_KEY": settings.AUDIT_HMAC_KEYS[settings.AUDIT_HMAC_KEY_ID],
        "AUDIT_CHECKPOINT_DIR": str(settings.AUDIT_CHECKPOINT_DIR),
        "PYTHONUNBUFFERED": "1",
    }


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        # Its own session, so that a stuck process and its children can be ended together.
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": TEST_HOST})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def wait_until_serving(process: subprocess.Popen, port: int, log: Path) -> None:
    """Waits (at most 60 s) until gunicorn answers its health check."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn exited early:\n{tail(log)}"
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"gunicorn did not answer /healthz within 60 s:\n{tail(log)}")


# --- A throwaway PostgreSQL server ------------------------------------------------------------
# The machine's cluster is shared (CI's own test database lives there), so a test that restarts
# PostgreSQL starts its own server: initdb into a temporary folder, pg_ctl on a free port.


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries on this machine (Debian layout), or pg_ctl on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parent)
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class ThrowawayPostgres:
    """A PostgreSQL server in a temporary folder, with trust authentication on 127.0.0.1.

    initdb refuses to run as root: as root, the server's commands run as the ``postgres``
    account (``runuser``) in a folder that account owns.
    """

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="ncii-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        if self.as_root:
            shutil.chown(self.folder, user="postgres", group="postgres")

    def _run(self, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def _pg_ctl(self, verb: str, *args: str) -> subprocess.CompletedProcess:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        return self._run(
            "pg_ctl", verb, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", options, *args,
        )  # fmt: skip

    def start(self) -> None:
        result = self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stdout}{result.stderr}")
        self.check(self._pg_ctl("start"), "start")

    def restart(self) -> None:
        """A fast restart: open connections are cut, the server comes back on the same port."""
        self.check(self._pg_ctl("restart", "-m", "fast"), "restart")

    def check(self, result: subprocess.CompletedProcess, what: str) -> None:
        if result.returncode != 0:
            raise RuntimeError(
                f"pg_ctl {what} failed: {result.stdout}{result.stderr}\n{self.logs()}"
            )

    def logs(self) -> str:
        return tail(self.log) if self.log.exists() else ""

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        result = self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name
        )
        if result.returncode != 0:
            raise RuntimeError(f"createdb failed: {result.stderr}")

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.folder, ignore_errors=True)


def throwaway_postgres_or_skip():
    """Starts a throwaway PostgreSQL server, or skips the test with the reason (fails instead
    under NCII_REQUIRE_SERVICES=1)."""
    from tests.reachable import services_required

    bin_dir = postgres_bin_dir()
    reason = None
    if bin_dir is None:
        reason = "needs PostgreSQL's server binaries (initdb, pg_ctl): none found"
    elif os.geteuid() == 0 and not shutil.which("runuser"):
        reason = "running as root needs runuser to start PostgreSQL as the postgres account"
    server = None
    if reason is None:
        try:
            server = ThrowawayPostgres(bin_dir)
            server.start()
        except (RuntimeError, OSError, LookupError, subprocess.TimeoutExpired) as error:
            if server is not None:
                server.stop()
            server = None
            reason = f"could not start a throwaway PostgreSQL server: {error}"
    if server is None:
        if services_required():
            pytest.fail(f"{reason} [NCII_REQUIRE_SERVICES=1: required here]", pytrace=False)
        pytest.skip(reason)
    return server


# --- A browser's worth of HTTP: cookies, the CSRF token, the two sign-in steps ----------------


@dataclass
class Answer:
    status: int
    headers: dict
    body: str
    content: bytes = b""  # the body as sent (a downloaded file)

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class WebSession:
    """One signed-in person against a live server, over plain http.client: it keeps the
    cookies the server sets and sends the CSRF token with each POST. Redirects are returned,
    not followed, so that a test sees exactly what the server answered."""

    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.lock = threading.Lock()

    def request(self, method: str, path: str, fields: dict | None = None) -> Answer:
        headers = {"Host": TEST_HOST}
        with self.lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            text = content.decode(errors="replace")
            cookie = SimpleCookie()
            for value in response.headers.get_all("Set-Cookie") or []:
                cookie.load(value)
            with self.lock:
                for name, morsel in cookie.items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            headers_out = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, headers_out, text, content)
        finally:
            conn.close()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, fields: dict) -> Answer:
        """A form POST with the CSRF token (the secret of the csrftoken cookie, which Django
        accepts as the form's token)."""
        if "csrftoken" not in self.cookies:
            self.get("/login/")
        return self.request(
            "POST", path, {**fields, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        )

    def sign_in(self, username: str, password: str, totp_key_hex: str) -> None:
        """The real two steps: the password form, then a code from the authenticator."""
        from django_otp.oath import totp

        self.get("/login/")
        first = self.post("/login/", {"username": username, "password": password, "next": "/"})
        assert first.status == 302 and "/login/verify/" in first.location, (
            first.status,
            first.body[:2000],
        )
        code = f"{totp(bytes.fromhex(totp_key_hex)):06d}"
        second = self.post("/login/verify/", {"token": code, "next": "/"})
        assert second.status == 302 and second.location == "/", (second.status, second.body[:2000])


def manage(env: dict, *args: str, timeout: int = 300) -> str:
    """Runs a manage.py command as a separate process with ``env``; fails the test on error."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def gunicorn(
    port: int, env: dict, log: Path, *, workers: int = 2, threads: int = 1
) -> subprocess.Popen:
    """Starts gunicorn as docker-compose.yml does, on 127.0.0.1:port, and waits until it serves."""
    process = start(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(workers), "--threads", str(threads), "--timeout", "60"]
        + ["--access-logfile", "-"],
        env,
        log,
    )
    try:
        wait_until_serving(process, port, log)
    except BaseException:
        stop(process)
        raise
    return process


# --- A private Redis server and Celery workers on it -------------------------------------------
# The machine's Redis on 6379 is shared (CI and other people use it): a test that stops Redis,
# or kills a worker mid-task, starts its own redis-server on a free port, without persistence.


class PrivateRedis:
    """A redis-server of one test, on a free port of 127.0.0.1, with nothing saved to disk;
    ``stop`` then ``start`` brings it back empty on the same port."""

    def __init__(self, binary: str, folder: Path):
        self.binary = binary
        self.port = free_port()
        self.folder = folder
        self.log = folder / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = start(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.folder), "--protected-mode", "yes"],
            dict(os.environ),
            self.log,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{tail(self.log)}")
            if self.ping():
                return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer within 20 s:\n{tail(self.log)}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


def private_redis_or_skip(folder: Path) -> PrivateRedis:
    """Starts a private redis-server, or skips the test with the reason (fails instead under
    NCII_REQUIRE_SERVICES=1)."""
    from tests.reachable import services_required

    binary = shutil.which("redis-server")
    reason = None
    server = None
    if binary is None:
        reason = "needs redis-server on PATH to start a private Redis"
    else:
        try:
            server = PrivateRedis(binary, folder)
            server.start()
        except (RuntimeError, OSError) as error:
            if server is not None:
                server.stop()
            server = None
            reason = f"could not start a private redis-server: {error}"
    if server is None:
        if services_required():
            pytest.fail(f"{reason} [NCII_REQUIRE_SERVICES=1: required here]", pytrace=False)
        pytest.skip(reason)
    return server


def with_redis(env: dict, redis: PrivateRedis) -> dict:
    """``env`` with the broker, the result backend and REDIS_URL on the private Redis."""
    return {
        **env,
        "REDIS_URL": redis.url,
        "CELERY_BROKER_URL": redis.url,
        "CELERY_RESULT_BACKEND": redis.url,
    }


def celery_worker(
    env: dict,
    log: Path,
    *,
    pool: str = "solo",
    concurrency: int = 1,
    module: str | None = None,
    wait: bool = True,
    queues: str | None = None,
    name: str | None = None,
) -> subprocess.Popen:
    """Starts a Celery worker of the app (``celery -A config worker``), or of ``module`` run
    with ``python -m`` (a wrapper that changes something before handing over to Celery), and
    unless ``wait`` is false waits until it is ready to take tasks."""
    command = [sys.executable, "-m", module or "celery"]
    process = start(
        command
        + ["-A", "config", "worker", "--pool", pool, "--concurrency", str(concurrency)]
        + ["--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        + (["--queues", queues] if queues else [])
        + (["--hostname", name] if name else []),
        env,
        log,
    )
    if wait:
        try:
            celery_worker_wait(process, log)
        except BaseException:
            stop(process)
            raise
    return process


def celery_worker_wait(process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Waits until the worker says it is ready (connected to the broker), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the Celery worker exited early:\n{tail(log)}")
        if " ready." in (log.read_text(errors="replace") if log.exists() else ""):
            return
        time.sleep(0.3)
    pytest.fail(f"the Celery worker was not ready within {seconds} s:\n{tail(log)}")


def celery_call(env: dict, task: str, *args, queue: str | None = None) -> None:
    """Publishes ``task`` as beat or another process would (``celery call``), to ``queue``
    when given."""
    import json

    command = [sys.executable, "-m", "celery", "-A", "config", "call", task]
    if queue:
        command += ["--queue", queue]
    if args:
        command += ["--args", json.dumps(list(args))]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"celery call {task}:\n{result.stdout}\n{result.stderr}"


def child_pids(pid: int) -> list[int]:
    """The ids of the direct children of a process, read from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended meanwhile
        # "pid (command) state ppid ...": the command may hold spaces and parentheses.
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children
