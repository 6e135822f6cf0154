#!/usr/bin/env bash
# Trains, evaluates and exports the cry detector of the quality gate in one go:
#   bash training/train_gate.sh [--datasets DIR] [extra train_gate.py options, e.g. --epochs 20]
# DIR (else WHYCRY_DATASETS, else ../shared/datasets beside the project) holds donateacry/,
# esc50-subset/ and free-spoken-digit/. Fixed seeds; writes models/cry-gate-v1/ and
# training/reports/cry-gate-v1.md.
set -euo pipefail
started=$(date +%s)
datasets="${WHYCRY_DATASETS:-}"
options=()
while (( $# )); do
  case $1 in
    --datasets)
      (( $# > 1 )) || { echo "usage: bash training/train_gate.sh [--datasets DIR] [train_gate.py options]" >&2; exit 2; }
      datasets=$2; shift 2 ;;
    *) options+=("$1"); shift ;;
  esac
done
# A relative DIR counts from where the command was started.
[[ -z $datasets || $datasets == /* ]] || datasets="$PWD/$datasets"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
datasets="${datasets:-$root/../shared/datasets}"
cd "$root"

# Checked before the venv (minutes on first use) and the feature dump, which would only stop
# on the first missing folder with a stack trace.
for need in "$datasets" "$datasets/donateacry/donateacry_corpus_cleaned_and_updated_data" \
    "$datasets/esc50-subset/audio" "$datasets/esc50-subset/esc50.csv" "$datasets/free-spoken-digit/recordings"; do
  if [[ ! -e $need ]]; then
    echo "train_gate.sh: missing $need: set WHYCRY_DATASETS or pass --datasets DIR, the folder that holds donateacry/, esc50-subset/ and free-spoken-digit/" >&2
    exit 2
  fi
done

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
  "${options[@]}"
echo "train_gate.sh finished in $(( $(date +%s) - started )) s"
