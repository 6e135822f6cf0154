#!/usr/bin/env bash
# Trains, evaluates and exports the seed model in one go:
#   bash training/train_seed.sh [extra train_seed.py options, e.g. --epochs 2]
# (the seed-v1 recipe, kept to reproduce training/reports/seed-v1.md; `npm run train` trains reason-v2)
# Creates training/.venv on first use. Set DONATEACRY_DIR if the dataset is not at
# ../shared/datasets/donateacry (relative to the project root).
set -euo pipefail
started=$(date +%s)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dataset="${DONATEACRY_DIR:-../shared/datasets/donateacry}"
venv=training/.venv

if [[ ! -x $venv/bin/python ]]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
# torch first, pinned, on its own: anything that lets pip pick torch by itself could
# fetch a CUDA build; with 2.13.0 installed, the requirements' pin is already satisfied.
"$venv/bin/pip" install --quiet --disable-pip-version-check torch==2.13.0
"$venv/bin/pip" install --quiet --disable-pip-version-check -r training/requirements.txt

# Features come from the worker's own TypeScript code, never from Python.
npx tsx training/dump-features.ts "$dataset" training/configs/seed.json training/cache/seed

PYTHONHASHSEED=0 "$venv/bin/python" training/train_seed.py \
  --config training/configs/seed.json \
  --cache training/cache/seed \
  --out models/seed-v1 \
  --report training/reports/seed-v1.md \
  --started-at "$started" \
  "$@"
echo "train_seed.sh finished in $(( $(date +%s) - started )) s"
