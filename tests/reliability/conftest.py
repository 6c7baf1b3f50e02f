import pytest

from tests.processes import manage, production_env


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """collectstatic once for every live server of the reliability suite (production settings
    serve static files through the manifest, which must exist)."""
    folder = tmp_path_factory.mktemp("reliability-static")
    env = production_env(folder, database_url="postgres://unused@127.0.0.1:1/unused")
    env["STATIC_ROOT"] = str(folder / "static")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    return env["STATIC_ROOT"]
