"""A Celery worker whose first PDF rendering stalls after writing its temporary file, so that a
test can kill it there, mid-task, at a known point (tests/reliability/test_worker_killed.py).

Run as ``python -m tests.slow_pdf_worker -A config worker ...`` with NCII_SLOW_PDF_MARKER (a
file path) and NCII_SLOW_PDF_SECONDS set. The delay lives in this test module only: the
application has no hook for it. The first ``PrivateFileSystemStorage._write_temp`` (the PDF's
temporary file, written before it is renamed into place) that finds no marker file creates it
and then sleeps; every later one (the redelivered task in a new pool process) runs at full
speed. Prefork pool processes are forked from this process, so they inherit the change.
"""

import os
import sys
import time
from pathlib import Path


def _slow_first_write():
    import django

    django.setup()
    from ncii_cases.storage import PrivateFileSystemStorage

    original = PrivateFileSystemStorage._write_temp
    marker = Path(os.environ["NCII_SLOW_PDF_MARKER"])
    seconds = float(os.environ.get("NCII_SLOW_PDF_SECONDS", "120"))

    def write_temp(self, directory, name, content):
        temp = original(self, directory, name, content)
        try:
            with marker.open("x") as out:  # only the first rendering waits
                out.write(f"{os.getpid()} {temp}\n")
        except FileExistsError:
            return temp
        time.sleep(seconds)
        return temp

    PrivateFileSystemStorage._write_temp = write_temp


if __name__ == "__main__":
    _slow_first_write()
    from celery.__main__ import main

    sys.argv[0] = "celery"
    sys.exit(main())
