#!/usr/bin/env bash
# A Python environment with pinned requirements, created on first use. The one place that makes them:
#   bash training/venv.sh            training/.venv, everything training needs (PyTorch included);
#                                    train.sh and train_gate.sh source this file and read $venv
#   bash training/venv.sh --report   training/evalreport/.venv, only the evaluation report's numpy,
#                                    scipy and matplotlib; evaluation/report.ts and .ci/run run this,
#                                    so judging a model or testing the report never installs PyTorch
set -euo pipefail
training="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case ${1:-} in
  "") venv="$training/.venv" requirements="$training/requirements.txt" ;;
  --report) venv="$training/evalreport/.venv" requirements="$training/evalreport/requirements.txt" ;;
  # a typo must not build the full environment (minutes, GBs) instead of the light one
  *) echo "usage: bash training/venv.sh [--report]" >&2; exit 2 ;;
esac
if [[ ! -x $venv/bin/python ]]; then
  echo "creating $venv (first use)…" >&2
  "${PYTHON:-python3}" -m venv "$venv"
fi
if [[ $venv == "$training/.venv" ]]; then
  # torch first, pinned, on its own: anything that lets pip pick torch by itself could fetch
  # a CUDA build; with 2.13.0 installed, the requirements' pin is already satisfied.
  "$venv/bin/pip" install --quiet --disable-pip-version-check torch==2.13.0
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
