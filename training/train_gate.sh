#!/usr/bin/env bash
# Trains, evaluates and exports the cry detector of the quality gate in one go:
#   bash training/train_gate.sh [extra train_gate.py options, e.g. --epochs 20]
# Needs ../shared/datasets/{donateacry,esc50-subset,free-spoken-digit} (or DATASETS_DIR).
# Fixed seeds; writes models/cry-gate-v1/ and training/reports/cry-gate-v1.md.
set -euo pipefail
started=$(date +%s)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
datasets="${DATASETS_DIR:-../shared/datasets}"

source training/venv.sh

# Features come from the worker's own TypeScript code (audio/gate-features.ts), never from Python.
npx tsx training/dump-gate-features.ts "$datasets" training/configs/gate.json training/cache/gate

PYTHONHASHSEED=0 "$venv/bin/python" training/train_gate.py \
  --config training/configs/gate.json \
  --cache training/cache/gate \
  --esc-csv "$datasets/esc50-subset/esc50.csv" \
  --out models/cry-gate-v1 \
  --report training/reports/cry-gate-v1.md \
  --started-at "$started" \
  "$@"
echo "train_gate.sh finished in $(( $(date +%s) - started )) s"
