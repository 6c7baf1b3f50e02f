#!/usr/bin/env bash
# Audits every pinned package (constraints.txt: the direct and the transitive ones) against
# PyPI's vulnerability data with pip-audit. It needs the network: when the service cannot be
# reached, or a package cannot be looked up, this fails loudly instead of passing unaudited.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
# --strict: a package that cannot be looked up fails the audit (it would otherwise be skipped).
timeout 300 "$root/.venv/bin/pip-audit" --strict --no-deps --timeout 30 --progress-spinner off \
  --desc off -r constraints.txt >"$out" 2>&1
status=$?
grep -v -e '--no-deps is supported' -e 'Consider using a tool like' "$out"
if [ "$status" -eq 0 ]; then
  exit 0
fi
if grep -q 'known vulnerabilit' "$out" && ! grep -q 'No known vulnerabilities' "$out"; then
  echo "pip-audit: known vulnerabilities above: bump the package to a fixed version" \
    "(requirements*.txt and constraints.txt)." >&2
  exit 1
fi
if [ "$status" -eq 124 ]; then
  echo "pip-audit: no answer within 300 s: the vulnerability service is unreachable." >&2
elif grep -q -e 'could not be audited' -e 'ConnectionError' -e 'Max retries' -e 'timed out' "$out"
then
  echo "pip-audit: the vulnerability data could not be fetched for every package (network or" \
    "service failure), so the packages were NOT audited." >&2
  # Only where the operator has said the machine cannot reach the service (CI on a sandbox
  # whose PyPI mirror lacks the per-version endpoint) does that end the step without failing;
  # everywhere else an unaudited run fails.
  if [ "${NCII_PIP_AUDIT_UNREACHABLE_OK:-0}" = 1 ]; then
    echo "pip-audit: NCII_PIP_AUDIT_UNREACHABLE_OK=1: continuing, UNAUDITED." >&2
    exit 0
  fi
else
  echo "pip-audit: known vulnerabilities above: bump the package to a fixed version" \
    "(requirements*.txt and constraints.txt)." >&2
fi
exit 1
