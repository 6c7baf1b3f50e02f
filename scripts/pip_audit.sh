#!/usr/bin/env bash
# Audits every pinned package (constraints.txt: the direct and the transitive ones) against
# PyPI's vulnerability data with pip-audit, and tells three outcomes apart from pip-audit's
# JSON report (not from its wording):
#
#   audited, no known vulnerability   exit 0
#   a known vulnerability             exit 1 (always: bump the package)
#   NOT audited                       the service could not be reached, did not answer in
#                                     time, or some packages could not be looked up: a loud
#                                     UNAUDITED warning and exit 0, or exit 2 with --strict
#
# Usage: scripts/pip_audit.sh [--strict]
# --strict (or NCII_PIP_AUDIT_STRICT=1): an unaudited run fails; use it on a connected machine
# (before a release) to be sure the audit really happened. scripts/test.sh runs it without
# --strict unless NCII_PIP_AUDIT_STRICT=1, so a machine without the service still runs the
# tests. pip-audit is the project's own (.venv/bin), or the one on PATH when there is none.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

strict="${NCII_PIP_AUDIT_STRICT:-0}"
for arg in "$@"; do
  case "$arg" in
    --strict) strict=1 ;;
    *)
      echo "scripts/pip_audit.sh: unknown argument $arg (usage: scripts/pip_audit.sh [--strict])" >&2
      exit 64
      ;;
  esac
done

if [ -x "$root/.venv/bin/pip-audit" ]; then
  pip_audit="$root/.venv/bin/pip-audit"
else
  pip_audit="$(command -v pip-audit || true)"
fi
if [ -x "$root/.venv/bin/python" ]; then python="$root/.venv/bin/python"; else python=python3; fi

unaudited() {
  printf '\n' >&2
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
  printf '!!! UNAUDITED: the dependencies were NOT checked for known vulnerabilities.\n' >&2
  printf '!!! %s\n' "$1" >&2
  printf '!!! Run scripts/pip_audit.sh --strict on a machine that reaches PyPI before a release.\n' >&2
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
  if [ "$strict" = 1 ]; then
    echo "pip-audit: --strict: an unaudited run fails." >&2
    exit 2
  fi
  exit 0
}

if [ -z "$pip_audit" ]; then
  unaudited "pip-audit is not installed (scripts/setup.sh test installs it)."
fi

report="$(mktemp)"
log="$(mktemp)"
trap 'rm -f "$report" "$log"' EXIT
# Without --strict of pip-audit: a package it cannot look up is listed as skipped in the
# report (counted as unaudited below) instead of ending the run without any report.
timeout 300 "$pip_audit" --no-deps --timeout 30 --progress-spinner off --desc off \
  -f json -o "$report" -r constraints.txt >"$log" 2>&1
status=$?
# pip-audit's own summary says "No known vulnerabilities found" even when it skipped every
# package: the verdict below, from its report, replaces it.
grep -v -e '--no-deps is supported' -e 'Consider using a tool like' \
  -e 'No known vulnerabilities found' -e '^Found [0-9]* known vulnerabilit' "$log"

if [ "$status" -eq 124 ]; then
  unaudited "pip-audit had no answer within 300 s: the vulnerability service is unreachable."
fi

# Prints one line: "vulnerable", "skipped N", "clean" or "noreport", then the details.
verdict="$("$python" - "$report" <<'PY'
import json
import sys

try:
    with open(sys.argv[1], encoding="utf-8") as handle:
        data = json.load(handle)
    dependencies = data["dependencies"]
except (OSError, ValueError, KeyError, TypeError):
    print("noreport")
    sys.exit(0)
vulnerable = [d for d in dependencies if d.get("vulns")]
skipped = [d for d in dependencies if d.get("skip_reason")]
if vulnerable:
    print("vulnerable")
    for d in vulnerable:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
            print(f"  {d['name']} {d.get('version', '')}: {v.get('id', '?')} (fixed in: {fixes})")
elif skipped:
    print(f"skipped {len(skipped)}")
    for d in skipped[:5]:
        print(f"  {d['skip_reason']}")
else:
    print(f"clean {len(dependencies)}")
PY
)"
kind="${verdict%%$'\n'*}"
details="${verdict#*$'\n'}"
[ "$details" = "$verdict" ] && details=""

case "$kind" in
  vulnerable)
    printf '%s\n' "$details" >&2
    echo "pip-audit: known vulnerabilities above: bump each package to a fixed version" \
      "(requirements*.txt and constraints.txt)." >&2
    exit 1
    ;;
  "skipped "*)
    printf '%s\n' "$details" >&2
    unaudited "${kind#skipped } packages could not be looked up (network, mirror or service failure)."
    ;;
  "clean "*)
    if [ "$status" -ne 0 ]; then
      unaudited "pip-audit failed (exit $status) although its report lists no problem."
    fi
    echo "pip-audit: ${kind#clean } pinned packages audited, no known vulnerabilities."
    exit 0
    ;;
  *)
    unaudited "pip-audit ended (exit $status) without a report: the vulnerability service could not be reached."
    ;;
esac
