"""Background work. Tasks take ids, never personal data, and are safe to run twice."""

from celery import shared_task
from django.db import connection


@shared_task
def health_probe() -> dict:
    """Proves the worker can reach the database: returns the database vendor and a count."""
    from .models import District

    return {"database": connection.vendor, "districts": District.objects.count()}
