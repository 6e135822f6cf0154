#!/usr/bin/env bash
# Builds the gate corpus, hears it as the bot does, then selects, evaluates and exports the cry
# detector by leave-one-source-out, in one go:
#   bash training/train_gate.sh [--datasets DIR] [extra train_gate.py options, e.g. --ablate]
# DIR (else WHYCRY_DATASETS, else ../shared/datasets beside the project) holds donateacry/,
# esc50-subset/, free-spoken-digit/ and more-sounds/. Needs espeak-ng (Debian's package) for the
# synthetic speech. Fixed seeds; writes models/cry-gate-v3/ and training/reports/cry-gate-v3.md,
# and compares with models/cry-gate-v1/ on the same recordings. About 30 min on 2 cores, most of it the
# Opus round trips (--ablate, which retrains without each augmentation family in turn, adds about 15).
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

# Checked before the venv (minutes on first use) and the corpus, which would only stop on the
# first missing folder with a stack trace.
for need in "$datasets" "$datasets/donateacry/donateacry_corpus_cleaned_and_updated_data" \
    "$datasets/esc50-subset/audio" "$datasets/esc50-subset/esc50.csv" "$datasets/free-spoken-digit/recordings" \
    "$datasets/more-sounds/MANIFEST.csv"; do
  if [[ ! -e $need ]]; then
    echo "train_gate.sh: missing $need: set WHYCRY_DATASETS or pass --datasets DIR, the folder that holds donateacry/, esc50-subset/, free-spoken-digit/ and more-sounds/" >&2
    exit 2
  fi
done
command -v espeak-ng >/dev/null || { echo "train_gate.sh: espeak-ng is missing (apt-get install espeak-ng): it speaks the synthetic adult speech" >&2; exit 2; }

source training/venv.sh

ffmpeg="$(node -e "console.log(require('@ffmpeg-installer/ffmpeg').path)")"
"$venv/bin/python" training/gate_corpus.py --datasets "$datasets" --out training/cache/gate-corpus --ffmpeg "$ffmpeg"

# Features come from the worker's own TypeScript code (audio/gate-features.ts), never from Python;
# two shards, one per core.
rm -rf training/cache/gate
pids=()
for shard in 0 1; do
  npx tsx training/dump-gate-features.ts training/cache/gate-corpus training/configs/gate.json "training/cache/gate/shard$shard" \
    --shard "$shard/2" --compare models/cry-gate-v1 $( (( shard == 0 )) && echo --parity test/fixtures/audio/parity) &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

PYTHONHASHSEED=0 "$venv/bin/python" training/train_gate.py \
  --config training/configs/gate.json \
  --cache training/cache/gate \
  --out models/cry-gate-v3 \
  --report training/reports/cry-gate-v3.md \
  --started-at "$started" \
  "${options[@]}"
echo "train_gate.sh finished in $(( $(date +%s) - started )) s"
