#!/usr/bin/env bash
# Command 1: set up and run the demo on http://127.0.0.1:8000 (SQLite in var/, Celery eager,
# demo data). Safe to run again: the venv is reused and migrations and demo data are idempotent.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/setup.sh" run

export DJANGO_SETTINGS_MODULE=config.settings.local
py="$root/.venv/bin/python"
port="${PORT:-8000}"

"$py" manage.py migrate --noinput
"$py" manage.py seed_demo
# runserver serves static files itself while DEBUG is on; collected files serve DEBUG=false.
"$py" manage.py collectstatic --noinput --verbosity 0

echo
echo "The NCII case manager demo is at http://127.0.0.1:${port}/  (Ctrl-C stops it)"
echo
exec "$py" manage.py runserver "127.0.0.1:${port}"
