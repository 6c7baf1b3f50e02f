from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import selectors


@login_required
def home(request):
    cases = selectors.case_list_for_user(user=request.user)[:50]
    return render(request, "ncii_cases/home.html", {"cases": cases})


@require_GET
@never_cache
def healthz(request):
    """Liveness for load balancers and compose: says whether the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:
        return JsonResponse({"status": "database unavailable"}, status=503)
