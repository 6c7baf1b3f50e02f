"""The OneRoster import measured in a worker process of its own (started with the "spawn"
method by ``benchmark.run``), so that its peak memory is the import's and not the benchmark's.
It writes a made-up export of ``students`` students (``roster_sample``) to a temporary folder,
zips it, then imports it twice into a new district (the first import, then the same export
again, which changes nothing) inside a transaction that is rolled back, then vacuums the
database so that the rolled-back rows leave no dead entries behind for the pages measured next:
the benchmark's database is left as it was.
"""

import os
import tempfile
import time

from bench.pdf_worker import peak_rss_mb


def rss_mb() -> float:
    """The process's resident memory now (VmRSS), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def import_measure(settings_module, database, students, staff, schools, results):
    """Runs in a fresh process; puts one dict on ``results``: seconds of the first import and
    of the unchanged re-import, people written, the memory before the import and the peak."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()
    from django.db import connections, transaction

    connections["default"].settings_dict["NAME"] = database
    from bench.roster_sample import roster_write, roster_zip
    from bench.rows import dead_rows_vacuum
    from ncii_cases.models import District
    from ncii_cases.services.roster import roster_import

    try:
        with tempfile.TemporaryDirectory(prefix="ncii-roster-bench-") as folder:
            started = time.perf_counter()
            export = roster_write(
                os.path.join(folder, "export"), schools=schools, students=students, staff=staff
            )
            archive = roster_zip(export, os.path.join(folder, "oneroster.zip"))
            written = time.perf_counter() - started
            size_mb = round(os.path.getsize(archive) / 1e6, 1)
            baseline = rss_mb()
            with transaction.atomic():
                district = District.objects.create(
                    name="Roster benchmark district", slug=f"roster-bench-{os.getpid()}", state="IL"
                )
                started = time.perf_counter()
                first = roster_import(district=district, origin=archive)
                first_seconds = time.perf_counter() - started
                started = time.perf_counter()
                again = roster_import(district=district, origin=archive)
                again_seconds = time.perf_counter() - started
                transaction.set_rollback(True)
        peak = peak_rss_mb()
        dead_rows_vacuum(connections["default"])
        results.put(
            {
                "available": first.status == "applied" and again.status == "applied",
                "reason": "; ".join(str(p) for p in first.problems[:3]),
                "students": students,
                "staff": staff,
                "zip_mb": size_mb,
                "export_write_seconds": round(written, 1),
                "seconds": round(first_seconds, 1),
                "again_seconds": round(again_seconds, 1),
                "people_created": first.counts.get("people_created", 0),
                "people_unchanged_again": again.counts.get("people_unchanged", 0),
                "baseline_rss_mb": baseline,
                "peak_rss_mb": peak,
                "growth_mb": round(peak - baseline, 1),
            }
        )
    except Exception as exc:  # reported as a miss, with the reason
        results.put({"available": False, "reason": f"failed: {type(exc).__name__}: {exc}"})
