"""The suite does not depend on the order its workers draw the tests in: a transactional
test's flush empties every table, and the catalogs the migrations seeded (platforms,
measures, appeal grounds, the reporting profile) are written back after it
(``tests.conftest.pytest_runtest_teardown``)."""

import pytest
from django.apps import apps


def policy_row_counts() -> dict[str, int]:
    return {
        model.__name__: model._base_manager.count()
        for model in apps.get_app_config("policies").get_models()
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("turn", ["first", "second"])
def test_the_seeded_catalogs_outlive_a_transactional_test(turn):
    # pytest-django runs transactional tests after the others, so the second of these runs
    # after at least one flush (the first's, or another transactional test's on its worker).
    empty = [name for name, count in policy_row_counts().items() if not count]
    assert not empty, f"tables the migrations seeded are empty: {empty}"
