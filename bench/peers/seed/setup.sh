#!/usr/bin/env bash
# Creates bench/peers/seed/.venv and installs requirements.txt into it. Idempotent: when
# the venv already holds this exact requirements.txt (a hash stamp), it does nothing.
#   bash bench/peers/seed/setup.sh          # PYTHON=python3.11 to choose the interpreter
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"

if [[ -x "$venv/bin/gunicorn" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "seed peer: $venv is up to date" >&2
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  echo "seed peer: creating $venv" >&2
  "${PYTHON:-python3}" -m venv "$venv"
fi

echo "seed peer: installing $here/requirements.txt (torch, librosa, flask, gunicorn...)" >&2
rm -f "$stamp"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off -q -r "$here/requirements.txt" >&2

echo "seed peer: checking that soundfile reads OGG/Opus and torch is the CPU build" >&2
"$venv/bin/python" - >&2 <<'PY'
import soundfile as sf, torch
assert "OPUS" in sf.available_subtypes("OGG"), f"libsndfile {sf.__libsndfile_version__} cannot read OGG/Opus"
print(f"seed peer: torch {torch.__version__}, soundfile {sf.__version__} on libsndfile {sf.__libsndfile_version__}")
PY

echo "$want" > "$stamp"
echo "seed peer: ready ($venv)" >&2
