#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite. The set-up also installs Debian's chromium,
# which one test uses to load the HTML editions the way a reader's browser does.
set -euo pipefail
cd "$(dirname "$0")/.."
BRIEFING_WITH_BROWSER=1 bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
