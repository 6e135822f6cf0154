"""The seed recipe's out-of-fold predictions on the shared folds, as Telegram would deliver the audio.

    python training/seed_oof.py --labels-config training/configs/seed.json \
        --train-cache training/cache/seed --eval-cache training/cache/seed-voice-note \
        --out training/cache/seed-oof.json

Per fold: the seed CNN (training/seedcnn, the retired seed-v1's recipe: 10 epochs, seed 2015 + fold)
is trained on the clean 22.05 kHz features of the other folds' recordings and scores the
held-out recordings after the Opus voice-note round trip. Takes ~14 min on 2 cores, so
train.sh reuses the output when it is newer than both caches.
"""
import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from reasons.folds import SEED, family_folds  # noqa: E402
from seedcnn.data import load, recording_probs  # noqa: E402
from seedcnn.fit import logits, train  # noqa: E402

CLEANED_DIR = "donateacry_corpus_cleaned_and_updated_data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels-config", type=Path, required=True)
    ap.add_argument("--train-cache", type=Path, required=True)
    ap.add_argument("--eval-cache", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)

    config = json.loads(args.labels_config.read_text())
    labels, spec = config["labels"], config["features"]["logMel"]
    tr_ds = load(args.train_cache, labels, spec["nMels"], spec["frames"])
    ev_ds = load(args.eval_cache, labels, spec["nMels"], spec["frames"])
    assert tr_ds.recordings == ev_ds.recordings, "the two dumps must list the same recordings"
    keys = [f"{CLEANED_DIR}/{r}" for r in tr_ds.recordings]
    fold_of = family_folds(keys, [labels[c] for c in tr_ds.rec_label], list(tr_ds.rec_family))
    rec_fold = np.array([fold_of[k] for k in keys])
    probs = np.zeros((len(keys), len(labels)))
    for fold in range(max(rec_fold) + 1):
        train_recs, test_recs = np.flatnonzero(rec_fold != fold), np.flatnonzero(rec_fold == fold)
        w_tr, w_te = np.isin(tr_ds.window_rec, train_recs), np.isin(ev_ds.window_rec, test_recs)
        print(f"fold {fold + 1}: {len(train_recs)} train / {len(test_recs)} held-out recordings", flush=True)
        model = train(tr_ds.windows[w_tr], tr_ds.window_label[w_tr], len(labels), args.epochs, seed=SEED + fold)
        z = logits(model, ev_ds.windows[w_te])
        p = recording_probs(z, ev_ds.window_rec[w_te], len(keys))
        probs[test_recs] = p[test_recs]
    out = {k: {"fold": int(f), "probabilities": dict(zip(labels, map(float, p)))} for k, f, p in zip(keys, rec_fold, probs)}
    args.out.write_text(json.dumps({"model": "seed recipe (22.05 kHz CNN)", "labels": labels, "recordings": out}) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
