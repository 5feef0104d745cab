#!/usr/bin/env bash
# Set up everything briefing needs on a Debian machine with Python 3.11+:
# the system libraries WeasyPrint uses, fonts, poppler (for the tests), and a
# virtual environment in .venv with the package installed in editable mode.
# Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1
                 fonts-liberation2 fonts-dejavu-core poppler-utils openssl)
if [[ "${BRIEFING_WITH_BROWSER:-0}" == 1 ]]; then
  SYSTEM_PACKAGES+=(chromium)
fi

missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
# pip before 24 fails to resolve two packages that ask for the same extra spelt differently
# (lxml[html_clean] and lxml[html-clean]); a current pip does.
.venv/bin/python -m pip install --quiet --disable-pip-version-check "pip>=25"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
echo "setup: ready (.venv/bin/briefing)"
