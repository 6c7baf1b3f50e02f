#!/usr/bin/env bash
# Command 2: set up and run every check: ruff lint, ruff format, migrations in step with the
# models, the import-graph contracts of pyproject.toml (lint-imports), bandit, pip-audit, and
# the pytest suite (extra arguments go to pytest, e.g. scripts/test.sh -k audit).
#
# pip-audit needs PyPI's vulnerability data: a known vulnerability fails the run; a machine that
# cannot reach the service gets a loud UNAUDITED warning (here and at the end) and the run goes
# on. NCII_PIP_AUDIT_STRICT=1 makes an unaudited run fail (scripts/pip_audit.sh --strict).
#
# SQLite by default; PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set. Tests that need
# a missing service are skipped with the reason, or fail when NCII_REQUIRE_SERVICES=1 (CI).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/setup.sh" test || exit 1

# An exported DJANGO_SETTINGS_MODULE would win over pyproject.toml in pytest-django.
export DJANGO_SETTINGS_MODULE=config.settings.test
bin="$root/.venv/bin"
failed=()

step() {
  local name="$1"
  shift
  printf '\n==> %s\n' "$name"
  "$@" || failed+=("$name")
}

step "ruff check" "$bin/ruff" check .
step "ruff format --check" "$bin/ruff" format --check .
step "makemigrations --check" "$bin/python" manage.py makemigrations --check --dry-run
step "import contracts (lint-imports)" "$bin/lint-imports" --no-cache
step "bandit" "$bin/bandit" -c pyproject.toml -q -r config ncii_cases policies reporting bench
audit_log="$(mktemp)"
trap 'rm -f "$audit_log"' EXIT
printf '\n==> %s\n' "pip-audit"
"$root/scripts/pip_audit.sh" 2>&1 | tee "$audit_log"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed+=("pip-audit")
unaudited=0
grep -q 'UNAUDITED' "$audit_log" && unaudited=1

# One pytest worker per CPU (pytest-xdist; each worker has its own test database, suffixed
# _gw0, _gw1, ...); NCII_TEST_WORKERS=0 runs every test in this one process. The default
# "load" distribution: a run with "worksteal" failed dozens of tests, before the catalogs a
# transactional test's flush empties were written back after it (tests/conftest.py); it has
# not been tried since.
workers="${NCII_TEST_WORKERS:-auto}"
printf '\n==> pytest (%s workers)\n' "$workers"
# The slowest tests are listed at the end: the suite must stay well within CI's 45 minutes.
"$bin/python" -m pytest -n "$workers" --durations=40 --durations-min=5 "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that counts as a failure here." >&2
  failed+=("pytest (no tests)")
elif [ "$status" -ne 0 ]; then
  failed+=("pytest (exit $status)")
fi

if [ "$unaudited" = 1 ]; then
  printf '\nscripts/test.sh: WARNING: dependencies UNAUDITED (the vulnerability service was not' >&2
  printf ' reached; see the pip-audit step). Run scripts/pip_audit.sh --strict where it is.\n' >&2
fi
if [ "${#failed[@]}" -gt 0 ]; then
  printf '\nscripts/test.sh FAILED: %s\n' "$(IFS=,; echo "${failed[*]}" | sed 's/,/, /g')" >&2
  exit 1
fi
if [ "$unaudited" = 1 ]; then
  printf '\nscripts/test.sh: all checks passed (dependencies UNAUDITED, see above)\n'
else
  printf '\nscripts/test.sh: all checks passed\n'
fi
