"""The benchmark's URLconf: the project's own patterns plus the floor, a bare view that renders
the base layout with one query. Used only through ``override_settings(ROOT_URLCONF=...)`` while
``manage.py bench`` runs, so no server ever exposes the floor."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import urlpatterns as project_urlpatterns
from ncii_cases.models import School


@login_required
@require_GET
def floor(request):
    schools = School.objects.filter(district_id=request.user.district_id).count()
    return render(request, "bench/floor.html", {"schools": schools})


urlpatterns = [path("__bench__/floor/", floor, name="bench_floor"), *project_urlpatterns]
