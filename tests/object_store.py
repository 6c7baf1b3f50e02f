"""An S3-compatible object store on loopback for the tests: moto's standalone server
(``moto[server]``, pinned in requirements-dev.txt; it is the S3-compatible server installable
here) started on a free port of 127.0.0.1, with a fresh private bucket per test.

``object_store`` points the ``documents`` and ``generated_pdfs`` aliases of STORAGES at the
bucket through ``ncii_cases.storage_s3.PrivateS3Storage``, exactly as FILE_STORAGE=s3 does in
production (``config.settings.base.s3_storage_options``), and returns a ``Bucket`` to look at
what was written there, signed (as the application) or unsigned (as anybody on the network).
"""

import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import free_port, start, stop, tail

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"  # noqa: S105  # nosec B105 - moto accepts any pair
REGION = "us-east-1"


class MotoServer:
    """moto's S3-compatible server on 127.0.0.1:<free port>, in its own process group."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.log = folder / f"moto-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import os

        binary = Path(sys.executable).with_name("moto_server")
        args = [str(binary)] if binary.exists() else [sys.executable, "-m", "moto.server"]
        env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "false"}
        self.process = start([*args, "-H", "127.0.0.1", "-p", str(self.port)], env, self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited:\n{tail(self.log)}")
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"moto_server did not answer within 60 s:\n{tail(self.log)}")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


@dataclass
class Bucket:
    endpoint: str
    name: str

    @property
    def client(self):
        return s3_client(self.endpoint)

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)

    def unsigned_get(self, key: str) -> int:
        """The status of a GET of the object without credentials, as anybody would try."""
        try:
            with urllib.request.urlopen(f"{self.endpoint}/{self.name}/{key}", timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as error:
            return error.code

    def public_grants(self, key: str) -> list[dict]:
        """The object's ACL grants to everyone or to every AWS account (none when private)."""
        acl = self.client.get_object_acl(Bucket=self.name, Key=key)
        return [
            grant
            for grant in acl["Grants"]
            if grant["Grantee"].get("URI", "").endswith(("/AllUsers", "/AuthenticatedUsers"))
        ]

    def encryption(self, key: str) -> str | None:
        return self.client.head_object(Bucket=self.name, Key=key).get("ServerSideEncryption")


def storage_env(bucket: Bucket) -> dict:
    """The environment that puts a production process's files in ``bucket``."""
    return {
        "FILE_STORAGE": "s3",
        "S3_BUCKET": bucket.name,
        "S3_ENDPOINT_URL": bucket.endpoint,
        "S3_REGION": REGION,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "S3_ADDRESSING_STYLE": "path",
    }


def new_bucket(server: MotoServer) -> Bucket:
    bucket = Bucket(server.endpoint, f"ncii-test-{secrets.token_hex(6)}")
    bucket.client.create_bucket(Bucket=bucket.name)
    return bucket


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    """moto's S3-compatible server for the whole run (skipped when it is not installed)."""
    pytest.importorskip("moto.server", reason="needs moto[server] (requirements-dev.txt)")
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def object_store(settings, moto_server, monkeypatch) -> Bucket:
    """A fresh private bucket holding the test's documents and PDFs (FILE_STORAGE=s3)."""
    bucket = new_bucket(moto_server)
    for name, value in storage_env(bucket).items():
        monkeypatch.setenv(name, value)
    from config.settings.base import s3_storage_options

    # s3_storage_options reads the S3_* variables set above, as the settings module does.
    documents = {
        "BACKEND": "ncii_cases.storage_s3.PrivateS3Storage",
        "OPTIONS": s3_storage_options(bucket.name),
    }
    pdfs = {
        "BACKEND": "ncii_cases.storage_s3.PrivateS3Storage",
        "OPTIONS": {**s3_storage_options(bucket.name), "file_overwrite": True},
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": documents,
        "documents": documents,
        "generated_pdfs": pdfs,
    }
    return bucket
