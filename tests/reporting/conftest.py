import pytest

from tests.reporting.s1 import s1_build


@pytest.fixture
def s1(school, coordinator, investigator, counselor):
    return s1_build(
        school=school, coordinator=coordinator, investigator=investigator, counselor=counselor
    )


@pytest.fixture
def private_root(tmp_path, settings):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT.mkdir()
    return settings.PRIVATE_MEDIA_ROOT
