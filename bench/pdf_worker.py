"""The case summary PDF measured in a worker process of its own (started with the "spawn"
method by ``benchmark.run``): this module imports nothing of Django at import time, so that the
fresh process can set Django up first, then point its connection at the benchmark's database.
"""

import os
import resource
import time

NOT_AVAILABLE = "not available in this build"
# The summary profile rendered: the Title IX office's own, unredacted ("internal" or "redacted").
PDF_PROFILE = "internal"


def peak_rss_mb() -> float:
    """The process's own peak resident memory. On Linux this is VmHWM of /proc/self/status:
    ``getrusage``'s ru_maxrss survives exec, so a process spawned by a benchmark that has grown
    (seeding 100,000 cases in-process) would report the parent's size, not its own."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def render_measure(settings_module, database, username, case_id, renders, results):
    """Runs in a fresh process: renders the case summary PDF ``renders`` times after one
    warm-up and reports the render times, pages, size and the process's peak memory."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()
    import logging

    # WeasyPrint logs every step of every render at INFO.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    from django.db import connections as worker_connections

    worker_connections["default"].settings_dict["NAME"] = database
    try:
        from reporting.pdf import summary_pdf_render
        from reporting.summary import case_summary_for_user
    except ImportError:
        results.put({"available": False, "reason": NOT_AVAILABLE})
        return
    import io

    from django.utils import timezone as worker_timezone
    from pypdf import PdfReader

    from ncii_cases.models import User as WorkerUser

    try:
        user = WorkerUser.objects.get(username=username)
        times, pdf = [], b""
        for i in range(renders + 1):
            started = time.perf_counter()
            summary = case_summary_for_user(user=user, pk=case_id, profile=PDF_PROFILE)
            pdf = summary_pdf_render(summary, generated_by=user, generated_at=worker_timezone.now())
            if i:
                times.append(time.perf_counter() - started)
        results.put(
            {
                "available": True,
                "times": times,
                "pages": len(PdfReader(io.BytesIO(pdf)).pages),
                "bytes": len(pdf),
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    except Exception as exc:  # reported as a miss, with the reason
        results.put({"available": False, "reason": f"failed: {type(exc).__name__}: {exc}"})
