#!/usr/bin/env bash
# Retrains the reason model and regenerates its evaluation in one go (`npm run train`):
#   bash training/train.sh [--datasets DIR] [--fresh-seed]
# DIR (else WHYCRY_DATASETS, else ../shared/datasets beside the project) holds donateacry/ and
# esc50-subset/. Fixed seeds, 2 CPU threads. Writes models/reason-v2/ and training/reports/reason-v2/.
#
# The seed recipe is retrained fold by fold on the same folds for the comparison (~15–20 min
# on 2 cores); its out-of-fold predictions are cached in training/cache/seed-oof.json and
# reused while they are newer than the seed features and code, unless --fresh-seed.
set -euo pipefail
started=$(date +%s)
usage="usage: npm run train -- [--datasets DIR] [--fresh-seed]"
datasets="${WHYCRY_DATASETS:-}"
fresh_seed=0
while (( $# )); do
  case $1 in
    --datasets) (( $# > 1 )) || { echo "$usage" >&2; exit 2; }; datasets=$2; shift 2 ;;
    --fresh-seed) fresh_seed=1; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
# A relative DIR counts from where the command was started (the project root under npm run).
[[ -z $datasets || $datasets == /* ]] || datasets="$PWD/$datasets"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
datasets="${datasets:-$root/../shared/datasets}"
cd "$root"
cache=training/cache

# Checked before the venv (minutes on first use) and the feature dumps, which would only stop
# on the first missing folder with a stack trace.
for need in "$datasets" "$datasets/donateacry/donateacry_corpus_cleaned_and_updated_data" \
    "$datasets/donateacry/donateacry-android-upload-bucket" "$datasets/donateacry/donateacry-ios-upload-bucket" \
    "$datasets/esc50-subset/audio"; do
  if [[ ! -d $need ]]; then
    echo "train.sh: missing $need: set WHYCRY_DATASETS or pass --datasets DIR, the folder that holds donateacry/ and esc50-subset/" >&2
    exit 2
  fi
done

source training/venv.sh

# Features come from the worker's own TypeScript code, never from Python.
npx tsx training/dump-reason-features.ts "$datasets" training/configs/reason.json "$cache/reason"

# The seed recipe's out-of-fold predictions, on the same folds, scored on voice-note round trips.
seed_oof="$cache/seed-oof.json"
if [[ $fresh_seed == 1 || ! -s $seed_oof || -n "$(find training/seed_oof.py training/seedcnn training/reasons/folds.py training/configs/seed.json -newer "$seed_oof" 2>/dev/null)" ]]; then
  npx tsx training/dump-features.ts "$datasets/donateacry" training/configs/seed.json "$cache/seed"
  npx tsx training/dump-features.ts "$datasets/donateacry" training/configs/seed.json "$cache/seed-voice-note" --voice-note
  (cd training && PYTHONHASHSEED=0 .venv/bin/python seed_oof.py --labels-config configs/seed.json \
    --train-cache cache/seed --eval-cache cache/seed-voice-note --out cache/seed-oof.json)
else
  echo "reusing $seed_oof (newer than the seed recipe's code; --fresh-seed to retrain it)"
fi

PYTHONHASHSEED=0 "$venv/bin/python" training/train_reason.py \
  --config training/configs/reason.json \
  --cache "$cache/reason" \
  --seed-oof "$seed_oof" \
  --out models/reason-v2 \
  --report-dir training/reports/reason-v2 \
  --started-at "$started"

# Figures and the shared report format come from training/evalreport (model first, comparisons after).
if [[ -d training/evalreport ]]; then
  predictions=training/reports/reason-v2/predictions
  (cd training && .venv/bin/python -m evalreport \
    --predictions "${predictions#training/}/reason-v2.jsonl" \
    --predictions "${predictions#training/}/seed-recipe.jsonl" \
    --out reports/reason-v2 --title "reason-v2 on grouped 5-fold CV (voice-note round trips)" \
    --note "Out of fold: each recording was scored by a model trained without its family (5-fold CV grouped by app-install uuid, the same folds for both systems), after a Telegram-style Opus round trip. reason-v2's probabilities are calibrated with parameters fitted on the other folds. Tables of every candidate: README.md beside this report.")
else
  echo "training/evalreport not found: tables only (training/reports/reason-v2/README.md)"
fi
echo "train.sh finished in $(( $(date +%s) - started )) s"
