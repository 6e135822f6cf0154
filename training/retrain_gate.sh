#!/usr/bin/env bash
# The cry gate's fast retraining path, run by the trainer worker as a subprocess:
#   bash training/retrain_gate.sh --version V --out DIR [--export DIR]... [--withdrawn FILE] [--datasets DIR]
#        [--config training/configs/retrain-gate-small.json] [--compare LIVE_MODEL_DIR] [--shuffle-labels] [--seed N]
# Writes DIR/{manifest.json,model.onnx,MODEL_CARD.md,report.json,report.md} (training/retrain_gate.py
# says what is in them), into DIR.partial first, renamed to DIR when everything is written. DIR must
# not exist or be empty. The datasets: --datasets, else WHYCRY_DATASETS, else ../shared/datasets beside the
# project. --withdrawn FILE: families (one a line) withdrawn from the exports since they were made, as
# evaluation/exports.ts checkExport reports them: their recordings are left out (the caller checks
# the exports against the database; this script checks only their format and refuse_after).
# --shuffle-labels trains on permuted cry/non-cry labels (a control: near-chance numbers).
# stdout: `progress {"stage":...,"done":n,"total":m}` lines among others. Exit 0 when written; 2 with
# one line on stderr when refused (usage, missing data, a stale export); 1 on other failures; 143/130
# when stopped by SIGTERM/SIGINT, and then no training is left running. The Python side stops by
# itself when this script dies. About 30 s with the small configuration on 2 cores.
set -euo pipefail
started=$(date +%s.%N)
command="bash training/retrain_gate.sh$(printf ' %q' "$@")"
usage="usage: bash training/retrain_gate.sh --version V --out DIR [--export DIR]... [--withdrawn FILE] [--datasets DIR] [--config FILE] [--compare MODEL_DIR] [--shuffle-labels] [--seed N]"
fail() { echo "retrain_gate.sh: $*" >&2; exit 2; }
# A relative path counts from where the command was started.
absolute() { [[ $1 == /* ]] && echo "$1" || echo "$PWD/$1"; }

version="" out="" datasets="${WHYCRY_DATASETS:-}" config="" compare="" seed=""
options=()
exports=()
while (( $# )); do
  case $1 in
    --version|--out|--export|--withdrawn|--datasets|--config|--compare|--seed)
      (( $# > 1 )) || fail "$1 needs a value; $usage"
      case $1 in
        --version) version=$2 ;;
        --out) out=$(absolute "$2") ;;
        --export) exports+=("$(absolute "$2")") ;;
        --withdrawn) [[ -f $2 ]] || fail "--withdrawn $2 is not a file"; options+=(--withdrawn "$(absolute "$2")") ;;
        --datasets) datasets=$(absolute "$2") ;;
        --config) config=$(absolute "$2") ;;
        --compare) compare=$(absolute "$2") ;;
        --seed) [[ $2 =~ ^[0-9]+$ ]] || fail "--seed takes a whole number"; seed=$2 ;;
      esac
      shift 2 ;;
    --shuffle-labels) options+=(--shuffle-labels); shift ;;
    *) fail "unknown option $1; $usage" ;;
  esac
done
[[ -n $version && -n $out ]] || fail "--version and --out are required; $usage"
# The version names a folder in the model store and a row in the registry.
[[ $version =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || fail "--version $version: letters, digits, '.', '_' and '-' only"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
datasets="${datasets:-$root/../shared/datasets}"
config="${config:-$root/training/configs/retrain-gate-small.json}"
cd "$root"

[[ ! -e $out || -d $out ]] || fail "--out $out is a file"
[[ ! -d $out || -z $(ls -A "$out") ]] || fail "--out $out is not empty"
[[ -f $config ]] || fail "no configuration $config"
for need in "$datasets/donateacry/donateacry_corpus_cleaned_and_updated_data" "$datasets/esc50-subset/audio" \
    "$datasets/free-spoken-digit/recordings" "$datasets/more-sounds/MANIFEST.csv"; do
  [[ -e $need ]] || fail "missing $need: set WHYCRY_DATASETS or pass --datasets DIR, the folder that holds donateacry/, esc50-subset/, free-spoken-digit/ and more-sounds/"
done
for dir in "${exports[@]}"; do
  [[ -f $dir/export.json && -f $dir/manifest.jsonl ]] || fail "--export $dir is not a whycry export (no export.json and manifest.jsonl)"
  options+=(--export "$dir")
done
if [[ -n $compare ]]; then
  [[ -f $compare/manifest.json ]] || fail "--compare $compare has no manifest.json"
  options+=(--compare "$compare")
fi
[[ -z $seed ]] || options+=(--seed "$seed")

partial="$out.partial"
finished=""
stage="venv"
# Whatever ends this script ends its children first: a cancelled job leaves no training running.
stop_children() {
  local rc=$?
  local pids
  pids=$(jobs -pr)
  if [[ -n $pids ]]; then
    kill -TERM $pids 2>/dev/null || true
    wait 2>/dev/null || true
  fi
  [[ -n $finished ]] || rm -rf "$partial"
  if (( rc != 0 )) && [[ $stage == venv ]]; then echo "retrain_gate.sh: training/venv.sh failed (its output is on stdout)" >&2; fi
}
trap stop_children EXIT
trap 'echo "retrain_gate.sh: stopped by SIGTERM" >&2; exit 143' TERM
trap 'echo "retrain_gate.sh: stopped by SIGINT" >&2; exit 130' INT
rm -rf "$partial"  # a run killed before it could clean up
mkdir -p "$partial"

# pip's notes are not a failure's one line: they go to stdout with the other free lines.
source training/venv.sh 2>&1
stage="train"
# In the background, so that a signal reaches the trap at once rather than after Python ends.
PYTHONHASHSEED=0 "$venv/bin/python" training/retrain_gate.py --config "$config" --datasets "$datasets" --version "$version" \
  --out "$partial" --command "$command" --started-at "$started" ${options[@]+"${options[@]}"} &
wait $!
[[ ! -d $out ]] || rmdir "$out"
mv "$partial" "$out"
finished=1
echo "retrain_gate.sh: wrote $out in $(( $(date +%s) - ${started%.*} )) s"
