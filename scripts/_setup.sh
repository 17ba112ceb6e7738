# Shared set-up for scripts/run and scripts/test: system packages, .venv, translations.
# Sourced, not run. Usage: setup_env runtime|dev
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RUNTIME_APT="libzbar0 fonts-wqy-zenhei"
DEV_APT="chromium poppler-utils libcairo2 libreoffice-calc-nogui wrk"  # wrk: scripts/bench

need_apt() {
  local missing=""
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
  done
  echo "$missing"
}

install_system_packages() {
  local missing
  missing=$(need_apt "$@")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing system packages:$missing"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "!! missing system packages:$missing (run as root or install them with apt-get)" >&2
  fi
}

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
      echo "$candidate"; return 0
    fi
  done
  echo "!! Python 3.11 or newer is required" >&2
  return 1
}

install_python_packages() {
  local reqfile=$1 stamp
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$(pick_python)" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
  fi
  stamp=".venv/.installed-$(basename "$reqfile")-$(cat requirements*.txt | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "==> installing Python packages from $reqfile"
    .venv/bin/python -m pip install -q -r "$reqfile"
    touch "$stamp"
  fi
}

setup_env() {
  local kind=$1
  if [ "$kind" = dev ]; then
    install_system_packages $RUNTIME_APT $DEV_APT
    install_python_packages requirements-dev.txt
  else
    install_system_packages $RUNTIME_APT
    install_python_packages requirements.txt
  fi
  scripts/i18n
}
