#!/usr/bin/env bash
# training/.venv with the pinned requirements, created on first use. The one place that makes it:
# train.sh and train_gate.sh source this file (and read $venv), evaluation/report.ts runs it.
set -euo pipefail
training="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$training/.venv"
if [[ ! -x $venv/bin/python ]]; then
  echo "creating $venv (first use; a few minutes)…" >&2
  "${PYTHON:-python3}" -m venv "$venv"
fi
# torch first, pinned, on its own: anything that lets pip pick torch by itself could fetch
# a CUDA build; with 2.13.0 installed, the requirements' pin is already satisfied.
"$venv/bin/pip" install --quiet --disable-pip-version-check torch==2.13.0
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$training/requirements.txt"
