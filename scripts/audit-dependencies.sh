#!/usr/bin/env bash
# Known vulnerabilities in the installed dependencies (pip-audit against PyPI's advisory data).
# pip-audit asks PyPI's JSON API about every package; where PyPI cannot be reached (an offline CI runner, a
# mirror without the JSON API) the audit cannot say anything, so it is skipped with the reason instead of
# failing the build or, worse, passing as if it had looked. Anything found fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
PIP_AUDIT=.venv/bin/pip-audit
if [[ ! -x $PIP_AUDIT ]]; then
    echo "dependency audit skipped: pip-audit is not installed (.venv/bin/pip install pip-audit)"
    exit 0
fi
if ! .venv/bin/python - <<'PY'
# pip-audit reads https://pypi.org/pypi/<name>/<version>/json, which carries each release's advisories:
# probe that very endpoint for an installed package (a mirror may serve /pypi/<name>/json but not this).
import importlib.metadata, sys, urllib.request
version = importlib.metadata.version("fastapi")
try:
    url = f"https://pypi.org/pypi/fastapi/{version}/json"
    with urllib.request.urlopen(url, timeout=5) as answer:
        sys.exit(0 if b'"vulnerabilities"' in answer.read() else 1)
except Exception as error:  # DNS, proxy, timeout, 404 from a partial mirror: no advisory data
    print(f"PyPI's release JSON API unreachable ({url}): {error}", file=sys.stderr)
    sys.exit(1)
PY
then
    echo "dependency audit skipped: PyPI's JSON API is unreachable from here (see above)"
    exit 0
fi
# The project itself is not on PyPI; everything else must be found and clean.
exec "$PIP_AUDIT" --progress-spinner off --skip-editable --strict
