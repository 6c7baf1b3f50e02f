from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark (``manage.py seed_bench`` and ``manage.py bench``): a top-level package that
    reads the application from outside; nothing in the application imports it (the import-linter
    contracts in ``pyproject.toml`` say so). It has no models."""

    name = "bench"
    verbose_name = "Benchmark"
