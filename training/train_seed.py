"""Seed recipe: grouped cross-validation, calibration, abstention, final fit, ONNX export.

    python training/train_seed.py --config training/configs/seed.json \
        --cache training/cache/seed --out models/seed-v1 --report training/reports/seed-v1.md

Reads only the features dumped by training/dump-features.ts (the worker's own code), so
the model sees at serving time exactly what it saw in training.
"""
import argparse
import hashlib
import json
import os
import platform
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import StratifiedGroupKFold

from seedcnn import evaluate as ev
from seedcnn.data import load, recording_probs
from seedcnn.export import OPSET, check_parity, export, onnx_logits
from seedcnn.fit import logits, train
from seedcnn.report import write_report

DATA_SOURCE = {
    "name": "Donate-a-cry corpus (cleaned subset)",
    "source": "https://github.com/gveres/donateacry-corpus",
    "license": "ODbL-1.0 (contents: DbCL-1.0)",
}
CLEANED_DIR = "donateacry_corpus_cleaned_and_updated_data"
FIXTURE_CLASSES = ("belly_pain", "hungry", "tired")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)  # the machine's cores; also keeps float sums in a fixed order


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True, help="output folder of dump-features.ts")
    ap.add_argument("--out", type=Path, required=True, help="model folder to write")
    ap.add_argument("--report", type=Path, required=True)
    ap.add_argument("--version", default="seed-v1")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2015)
    ap.add_argument("--started-at", type=float, help="unix time train.sh started, for the report's run time")
    args = ap.parse_args()

    t0 = time.perf_counter()
    started = args.started_at or time.time()
    seed_everything(args.seed)
    config = json.loads(args.config.read_text())
    spec, labels = config["features"], config["labels"]
    k = len(labels)
    ds = load(args.cache, labels, spec["logMel"]["nMels"], spec["logMel"]["frames"])
    y, fam, n_rec = ds.rec_label, ds.rec_family, len(ds.recordings)
    n_fam = len(np.unique(fam))
    print(f"{len(ds.windows)} windows, {n_rec} recordings, {n_fam} families, classes {np.bincount(y, minlength=k).tolist()}")

    # Out-of-fold window logits. Folds are drawn over recordings grouped by family, so no
    # install ever sits on both sides of a split.
    oof = np.full((len(ds.windows), k), np.nan, dtype=np.float32)
    folds = StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    fold_sizes = []
    for fold, (tr, va) in enumerate(folds.split(np.zeros(n_rec), y, groups=fam)):
        print(f"fold {fold + 1}/{args.folds}: {len(tr)} train / {len(va)} validation recordings, "
              f"validation classes {np.bincount(y[va], minlength=k).tolist()}")
        fold_sizes.append({"train": len(tr), "validation": len(va), "validationClasses": np.bincount(y[va], minlength=k).tolist()})
        w_tr, w_va = np.isin(ds.window_rec, tr), np.isin(ds.window_rec, va)
        model = train(ds.windows[w_tr], ds.window_label[w_tr], k, args.epochs, seed=args.seed + fold)
        oof[w_va] = logits(model, ds.windows[w_va])
    assert not np.isnan(oof).any()
    t_cv = time.perf_counter() - t0

    probs = recording_probs(oof, ds.window_rec, n_rec)
    hungry = np.zeros((n_rec, k))
    hungry[:, labels.index("hungry")] = 1.0
    model_metrics = ev.summary(y, probs, labels) | ev.bootstrap_ci(y, probs, fam, seed=args.seed)
    baseline = ev.summary(y, hungry, labels)

    temperature = ev.fit_temperature(oof, ds.window_rec, y)
    calibrated = recording_probs(oof, ds.window_rec, n_rec, temperature)
    calib = {"before": ev.ece(y, probs), "after": ev.ece(y, calibrated),
             "nllBefore": ev.nll(y, probs), "nllAfter": ev.nll(y, calibrated)}
    curve = ev.risk_coverage(y, calibrated)
    abstain = ev.choose_threshold(curve)
    print(f"temperature {temperature:.3f}; ECE {calib['before']:.3f} -> {calib['after']:.3f}; abstain {abstain}")

    # Final model: all recordings, same epochs, same recipe.
    print("final fit on all recordings")
    final = train(ds.windows, ds.window_label, k, args.epochs, seed=args.seed + 1000)
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "model.onnx"
    exporter = export(final, onnx_path, ds.windows)
    probe = ds.windows[np.linspace(0, len(ds.windows) - 1, 8).astype(int)]
    parity = check_parity(final, onnx_path, probe)
    print(f"exported with the {exporter} exporter; ONNX vs torch max |diff| {parity:.2e}")

    # Parity fixture for the TypeScript test: window 0 of the first recording (the dump is
    # sorted) of three classes; the test recomputes those features from the WAV itself.
    fixture = []
    for c in (labels.index(name) for name in FIXTURE_CLASSES if name in labels):
        r = int(np.flatnonzero(y == c)[0])
        w = int(np.flatnonzero((ds.window_rec == r) & (ds.window_no == 0))[0])
        fixture.append({"recording": f"{CLEANED_DIR}/{ds.recordings[r]}", "window": 0,
                        "logits": onnx_logits(onnx_path, ds.windows[w:w + 1])[0].tolist()})
    (args.out / "check.json").write_text(json.dumps(fixture, indent=2) + "\n")

    metrics = {
        "evaluation": f"{args.folds}-fold cross-validation grouped by family (app-install uuid), recording level",
        "recordings": n_rec, "families": n_fam,
        "model": {key: model_metrics[key] for key in ("accuracy", "balancedAccuracy", "macroF1", "macroAucOvr",
                                                      "balancedAccuracyCi95", "macroAucOvrCi95", "perClassRecall")},
        "baselineAlwaysHungry": {key: baseline[key] for key in ("accuracy", "balancedAccuracy", "macroF1")} | {"macroAucOvr": 0.5},
        "ece": {"before": calib["before"], "after": calib["after"]},
    }
    manifest = {
        "version": args.version,
        "createdAt": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "file": onnx_path.name,
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "input": {"name": "features", "shape": [-1, spec["logMel"]["nMels"], spec["logMel"]["frames"]]},
        "output": {"name": "logits"},
        "labels": labels,
        "features": spec,
        "calibration": {"method": "temperature", "temperature": temperature},
        "abstain": abstain,
        "training": {"recipe": "seed", "command": "npm run train", "seed": args.seed, "epochs": args.epochs,
                     "torch": torch.__version__.split("+")[0],
                     "data": [DATA_SOURCE | {"recordings": n_rec, "families": n_fam}]},
        "metrics": metrics,
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    elapsed = time.perf_counter() - t0
    write_report(args.report, version=args.version, labels=labels, model=model_metrics, baseline=baseline,
                 calib=calib, temperature=temperature, curve=curve, abstain=abstain, folds=fold_sizes,
                 epochs=args.epochs, seed=args.seed, recordings=n_rec, families=n_fam,
                 onnx={"bytes": onnx_path.stat().st_size, "opset": OPSET, "exporter": exporter, "parity": parity},
                 timing={"cv": t_cv, "python": elapsed, "total": time.time() - started},
                 machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}")
    print(f"done in {elapsed / 60:.1f} min -> {args.out}, {args.report}")


if __name__ == "__main__":
    sys.exit(main())
