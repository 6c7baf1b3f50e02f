#!/usr/bin/env bash
# Saves the README's screenshots under docs/screens/ (1366 px and 390 px wide) from a fresh
# SQLite demo in a temporary folder, with Debian's Chromium (/usr/bin/chromium; CHROMIUM=...
# to use another). Arguments go to scripts/screens.py (--size N: generated demo cases).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "Chromium not found at ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)." >&2
    exit 2
fi
exec "$root/.venv/bin/python" "$root/scripts/screens.py" "$@"
