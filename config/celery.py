"""The Celery application. Tasks carry ids, never personal data."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("ncii")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
