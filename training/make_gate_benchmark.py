"""Writes the cry gate's fixed benchmark, training/configs/gate-benchmark.json (committed; run again only
to change the benchmark, which makes older retraining reports incomparable):

    training/.venv/bin/python training/make_gate_benchmark.py --datasets ../shared/datasets

Per source, whole groups (family, Freesound clip, speaker, video, actor, song) in the order of the
sha256 of their id until the source's count is reached (the last group cut short, by the sha256 of
the recording). Every group named here is left out of every retrain's training data
(training/retrain_gate.py), its unused recordings too. AudioSet cries are not in it: the
simulation holds them out for its own before/after evaluation.
"""
import argparse
import json
from pathlib import Path

from retrain_gate import BENCHMARK, ROOT, by_group_order, public_recordings

# (sources sharing groups, recordings): RAVDESS speech and song share their actors.
COUNTS = [(("donateacry",), 70), (("esc50-cry",), 15), (("esc50",), 40), (("fsdd",), 20), (("audioset-smh",), 30),
          (("audioset-laughter",), 15), (("ravdess-speech", "ravdess-song"), 24), (("bedtime-a",), 10),
          (("bedtime-b",), 6), (("bedtime-c",), 6)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=Path, required=True)
    args = ap.parse_args()
    catalogue = public_recordings(args.datasets)
    chosen = []
    for sources, count in COUNTS:
        pool = by_group_order([r for r in catalogue if r["source"] in sources])
        chosen += pool[:count]
    groups = {r["group"] for r in chosen}
    recordings = [{"id": r["key"], "files": r["files"], "source": r["source"], "group": r["group"],
                   "kind": "cry" if r["cry"] else "non-cry"} for r in sorted(chosen, key=lambda r: (r["source"], r["key"]))]
    doc = {"description": "The cry gate's fixed benchmark (training/make_gate_benchmark.py): dataset-relative files, "
                          "joined when several; no retrain trains on any of these groups.",
           "groups": len(groups), "recordings": recordings}
    # One recording a line: a diff of the benchmark reads as the recordings it changes.
    lines = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in recordings)
    head = json.dumps({k: v for k, v in doc.items() if k != "recordings"}, ensure_ascii=False)[:-1]
    (ROOT / BENCHMARK).write_text(f'{head}, "recordings": [\n{lines}\n]}}\n')
    kinds = [r["kind"] for r in recordings]
    print(f"{len(recordings)} recordings ({kinds.count('cry')} cries) of {len(groups)} groups to {BENCHMARK}")


if __name__ == "__main__":
    main()
