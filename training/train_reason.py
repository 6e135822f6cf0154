"""reason-v2: one grouped evaluation run (majority baseline, seed recipe, candidates),
calibration, abstention, final fit and ONNX export.

    python training/train_reason.py --config training/configs/reason.json --cache training/cache/reason \
        --seed-oof training/cache/seed-oof.json --out models/reason-v2 --report-dir training/reports/reason-v2

Every score is out of fold on the shared family folds (reasons/folds.py) and measured
on the cleaned recordings after a Telegram-style Opus round trip, decoded by the
worker's own code. Features come from training/dump-reason-features.ts only.
"""
import argparse
import hashlib
import json
import os
import platform
import random
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

sys.path.insert(0, str(Path(__file__).parent))
from evalreport import metrics as mx  # noqa: E402
from evalreport.bootstrap import family_resamples  # noqa: E402
from reasons import calibrate  # noqa: E402
from reasons.candidates import CANDIDATES, Candidate  # noqa: E402
from reasons.data import load  # noqa: E402
from reasons.folds import SEED, family_folds  # noqa: E402
from reasons.intervals import with_intervals  # noqa: E402
from reasons.model import fit, window_logits, window_weights  # noqa: E402
from reasons.report import write_report  # noqa: E402

OPSET = 18
BOOTSTRAP = 1000
MAJORITY = "hungry"
# Abstention: answer only where held-out families show answers are right at least this
# often, on at least this share of recordings, and beat the always-"hungry" guess on the
# same answered recordings (lower end of the family-bootstrap interval of the difference > 0).
MIN_ACCURACY, MIN_COVERAGE = 0.90, 0.10


PLATFORM = "phone platform only (diagnostic)"


def platform_only(keys: list[str], y: np.ndarray, rec_fold: np.ndarray, k: int) -> np.ndarray:
    """A predictor that hears no cry at all: each held-out recording gets the class frequencies of
    the training folds' recordings from the same app platform (iOS wrote uuids in capitals). iOS and
    Android uploads differ in codec (IMA-ADPCM vs AMR-NB) and in label mix, so a model can score
    above chance by recognising the phone; this row shows how much."""
    ios = np.array([k_.split("/")[-1][:36] != k_.split("/")[-1][:36].lower() for k_ in keys])
    out = np.zeros((len(keys), k))
    for fold in np.unique(rec_fold):
        for on_ios in (True, False):
            train, test = (rec_fold != fold) & (ios == on_ios), (rec_fold == fold) & (ios == on_ios)
            out[test] = (np.bincount(y[train], minlength=k) + 1) / (train.sum() + k)
    return out


def seed_everything() -> None:
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    # One thread: these models are tiny, and two threads on two shared cores only spin-wait.
    torch.set_num_threads(1)


def column_indices(names: list[dict], groups: tuple[str, ...]) -> np.ndarray:
    return np.array([i for i, n in enumerate(names) if n["group"] in groups])


def train_candidate(c: Candidate, win, names, train_mask, n_classes, seed):
    w = window_weights(win.recording[train_mask], win.label[train_mask], n_classes, c.balanced)
    return fit(win.x[train_mask], win.label[train_mask], w, column_indices(names, c.groups), n_classes,
               hidden=c.hidden, weight_decay=c.weight_decay, epochs=c.epochs, seed=seed)


def choose_abstention(y, probs, families, majority, resamples) -> dict:
    """Smallest top-probability threshold meeting the rule above; 1.0 (always "not sure") if none does."""
    curve = mx.risk_coverage(y, probs)
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    for threshold, coverage, accuracy in curve:
        if coverage < MIN_COVERAGE or accuracy < MIN_ACCURACY:
            continue
        answered = conf >= threshold
        gains = []
        for idx in resamples:
            a = answered[idx]
            if a.any():
                gains.append(correct[idx][a].mean() - (y[idx][a] == majority).mean())
        low = float(np.percentile(gains, 2.5))
        if low > 0:
            return {"threshold": threshold, "coverage": coverage, "accuracy": accuracy,
                    "gainOverMajorityCi95Low": low, "rule": "top ≥ threshold"}
    threshold, coverage, accuracy = max(curve, key=lambda p: (p[2], p[1]))
    return {"threshold": 1.0, "coverage": 0.0, "accuracy": None, "rule": "always not sure",
            "bestPointOnCurve": {"threshold": threshold, "coverage": coverage, "accuracy": accuracy}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--seed-oof", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--report-dir", type=Path, required=True)
    ap.add_argument("--started-at", type=float)
    args = ap.parse_args()
    seed_everything()
    t0 = time.perf_counter()
    started = args.started_at or time.time()
    config = json.loads(args.config.read_text())
    labels, spec, names = config["labels"], config["features"], None
    k = len(labels)
    win, recs, meta = load(args.cache, labels)
    names = json.loads((args.cache / "names.json").read_text())
    y = np.array([r.label for r in recs])
    fam = np.array([r.family for r in recs])
    keys = [r.key for r in recs]
    fold_of = family_folds(keys, [labels[c] for c in y], list(fam))
    rec_fold = np.array([fold_of[key] for key in keys])
    n_folds = int(rec_fold.max()) + 1
    # Raw uploads of a family in a validation fold stay out of that fold's training.
    family_fold = {f: fold_of[key] for key, f in zip(keys, fam)}
    win_fold = np.array([family_fold.get(f, -1) for f in win.family])
    rec_row = {key: i for i, key in enumerate(keys)}
    is_eval = (win.set == "cleaned") & (win.copy == "voice-note")
    eval_rec = np.array([rec_row.get(r, -1) for r in win.recording])
    print(f"{len(recs)} evaluated recordings from {len(np.unique(fam))} families; {len(win.x)} windows × {win.x.shape[1]}; "
          f"classes {np.bincount(y, minlength=k).tolist()}", flush=True)

    # 1. Out-of-fold window logits for every candidate, on the voice-note copies.
    oof_logits = {}
    for c in CANDIDATES:
        z = np.full((len(win.x), k), np.nan, dtype=np.float32)
        for fold in range(n_folds):
            train = (win_fold != fold) & np.isin(win.copy, c.copies) & np.isin(win.set, c.sets)
            test = is_eval & (win_fold == fold)
            assert not set(win.family[train]) & set(win.family[test]), "a family sits on both sides"
            z[test] = window_logits(train_candidate(c, win, names, train, k, SEED + fold), win.x[test])
        oof_logits[c.name] = z[is_eval]
        scores = mx.summary(y, calibrate.recording_probs(z[is_eval], eval_rec[is_eval], len(recs)))
        print(f"{c.name}:", {m: scores[m] for m in mx.METRICS}, flush=True)
    ev_rec = eval_rec[is_eval]

    # 2. Everyone's recording probabilities on the same recordings and folds.
    probs = {"always hungry": np.eye(k)[np.full(len(recs), labels.index(MAJORITY))]}
    seed = json.loads(args.seed_oof.read_text())
    assert seed["labels"] == labels, "the seed recipe's labels differ"
    probs["seed recipe"] = np.array([[seed["recordings"][key]["probabilities"][l] for l in labels] for key in keys])
    assert all(seed["recordings"][key]["fold"] == f for key, f in zip(keys, rec_fold)), "the seed recipe's folds differ"
    probs[PLATFORM] = platform_only(keys, y, rec_fold, k)
    for c in CANDIDATES:
        probs[c.name] = calibrate.recording_probs(oof_logits[c.name], ev_rec, len(recs))
    # Pre-declared selection: highest out-of-fold macro AUC (ranking quality is what
    # calibration cannot add), ties broken by balanced accuracy.
    chosen = max(CANDIDATES, key=lambda c: (round(mx.macro_auc(y, probs[c.name]), 4),
                                            mx.summary(y, probs[c.name])["balancedAccuracy"]))
    resamples = family_resamples(fam, BOOTSTRAP, SEED)
    table = with_intervals(y, probs, resamples, {c.name: ["always hungry", "seed recipe", PLATFORM] for c in CANDIDATES})
    vs = [table["differences"][f"{chosen.name} − {ref}"] for ref in ("always hungry", "seed recipe")]
    better = all(d[m]["ci95"][0] > 0 for d in vs for m in ("balancedAccuracy", "macroAucOvr"))
    print(f"chosen {chosen.name}; beats both with intervals that say so: {better}", flush=True)

    # 3. Calibration (prior shift + temperature) and abstention, on grouped folds.
    z, raw = oof_logits[chosen.name], probs[chosen.name]
    calibrated = calibrate.cross_fitted(z, ev_rec, y, rec_fold)
    shift, temperature = calibrate.fit(z, ev_rec, y, np.arange(len(recs)))
    calib = {"eceBefore": mx.ece(y, raw), "eceAfter": mx.ece(y, calibrated),
             "nllBefore": mx.nll(y, raw), "nllAfter": mx.nll(y, calibrated),
             "eceAlwaysHungry": mx.ece(y, probs["always hungry"] * 0.999 + 0.001 / k)}
    # What the bot shows is the calibrated model: score it too, with intervals, beside the rest.
    shipped_name = f"{args.out.name} (calibrated, as shipped)"
    probs[shipped_name] = calibrated
    table_shipped = with_intervals(y, {"always hungry": probs["always hungry"], "seed recipe": probs["seed recipe"],
                                       shipped_name: calibrated}, resamples,
                                   {shipped_name: ["always hungry", "seed recipe"]})
    table["models"][shipped_name] = table_shipped["models"][shipped_name]
    table["differences"].update(table_shipped["differences"])
    curve = mx.risk_coverage(y, calibrated)
    abstain = choose_abstention(y, calibrated, fam, labels.index(MAJORITY), resamples)
    print(f"shift {np.round(shift, 3).tolist()}, T {temperature:.3f}; ECE {calib['eceBefore']:.3f} → {calib['eceAfter']:.3f}; "
          f"abstain {abstain}", flush=True)

    # 4. Final model: every recording (cleaned + raw), every copy the candidate uses.
    train = np.isin(win.copy, chosen.copies) & np.isin(win.set, chosen.sets)
    final = train_candidate(chosen, win, names, train, k, SEED + 1000)
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(final, (torch.from_numpy(win.x[:2]),), str(onnx_path), dynamo=False, input_names=["features"],
                          output_names=["logits"], opset_version=OPSET,
                          dynamic_axes={"features": {0: "windows"}, "logits": {0: "windows"}})
    onnx.checker.check_model(onnx.load(str(onnx_path)))
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    onnx_z = session.run(["logits"], {"features": win.x})[0]
    parity = float(np.abs(onnx_z - window_logits(final, win.x)).max())
    assert parity < 1e-4, f"ONNX differs from torch by {parity}"

    # check.json: the parity fixtures' dumped features (clean copy, as the test decodes the WAV)
    # and the logits onnxruntime gives for them.
    fixtures = {p.name for p in Path("test/fixtures/audio/parity").glob("*.wav")}
    checks = [{"recording": r, "window": int(np.sum((win.recording[:i] == r) & (win.copy[:i] == "clean"))),
               "features": win.x[i].tolist(), "logits": onnx_z[i].tolist()}
              for i, r in enumerate(win.recording) if win.copy[i] == "clean" and r.split("/")[-1] in fixtures]
    (args.out / "check.json").write_text(json.dumps({"tolerance": {"features": 1e-5, "logits": 1e-4}, "windows": checks}) + "\n")

    # 5. Predictions files (the evalreport contract), manifest, report.
    pred_dir = args.report_dir / "predictions"
    pred_dir.mkdir(parents=True, exist_ok=True)
    thr = abstain["threshold"]
    files = {}
    for name, p in [(args.out.name, calibrated)] + [(n, probs[n]) for n in ["seed recipe"] + [c.name for c in CANDIDATES]]:
        path = pred_dir / f"{name.replace(' ', '-')}.jsonl"
        with path.open("w") as f:
            for r, row in zip(recs, p):
                f.write(json.dumps({"recording": r.key, "family": r.family, "label": labels[r.label], "source": "donateacry",
                                    "kind": "cry", "gate": r.gate, "probabilities": dict(zip(labels, map(float, row))),
                                    "notSure": bool(row.max() < thr) if name == args.out.name else None,
                                    "model": name, "seconds": r.seconds}) + "\n")
        files[name] = path

    counts = meta["copies"]
    onnx_bytes = onnx_path.read_bytes()
    shipped = table["models"][shipped_name]
    manifest = {
        "version": args.out.name,
        "createdAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "file": onnx_path.name,
        "sha256": hashlib.sha256(onnx_bytes).hexdigest(),
        "input": {"name": "features", "shape": [-1, int(win.x.shape[1])]},
        "output": {"name": "logits"},
        "labels": labels,
        "features": {"kind": "reason-summary-v1", **spec, "normalisation": "recording-mean-per-band",
                     "band": {"lowHz": 0, "highHz": spec["logMel"]["sampleRate"] // 2}, "groups": list(chosen.groups),
                     "dims": int(win.x.shape[1])},
        "aggregation": "mean-probability",
        "calibration": {"method": "prior-shift+temperature", "logitShift": [float(s) for s in shift], "temperature": temperature},
        "abstain": {"minTopProbability": thr, "coverage": abstain["coverage"], "accuracyAtCoverage": abstain["accuracy"],
                    "rule": abstain["rule"]},
        "training": {
            "recipe": "reason-v2", "candidate": chosen.name, "description": chosen.description, "command": "npm run train",
            "seed": SEED, "torch": torch.__version__.split("+")[0],
            "data": [
                {"name": "Donate-a-cry corpus (cleaned subset + gate-passed raw uploads)",
                 "source": "https://github.com/gveres/donateacry-corpus", "license": "ODbL-1.0 (contents: DbCL-1.0)",
                 "recordings": {"cleaned": len(recs), "raw": counts.get("raw/clean", 0)}, "families": int(len(np.unique(win.family)))},
                {"name": "ESC-50 (subset, not crying_baby)", "source": "https://github.com/karolpiczak/ESC-50",
                 "license": "CC BY-NC 3.0", "role": "background noise mixed into augmented copies"},
            ],
        },
        "metrics": {
            "evaluation": f"{n_folds}-fold cross-validation grouped by family (app-install uuid), recording level, "
                          "on Opus voice-note round trips of the cleaned set; 95 % family-bootstrap intervals",
            "recordings": len(recs), "families": int(len(np.unique(fam))),
            "model": {m: shipped[m]["value"] for m in mx.METRICS} | {
                "balancedAccuracyCi95": shipped["balancedAccuracy"]["ci95"], "macroAucOvrCi95": shipped["macroAucOvr"]["ci95"],
                "macroF1Ci95": shipped["macroF1"]["ci95"]},
            "uncalibrated": {m: table["models"][chosen.name][m]["value"] for m in mx.METRICS},
            "baselineAlwaysHungry": {m: table["models"]["always hungry"][m]["value"] for m in mx.METRICS},
            "seedRecipe": {m: table["models"]["seed recipe"][m]["value"] for m in mx.METRICS},
            "beatsBaselineAndSeed": better,
            "ece": {"before": calib["eceBefore"], "after": calib["eceAfter"]},
        },
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")

    # Inference cost of one window in onnxruntime (Python), for the report.
    one = win.x[:1]
    for _ in range(50):
        session.run(["logits"], {"features": one})
    t1 = time.perf_counter()
    for _ in range(1000):
        session.run(["logits"], {"features": one})
    per_window_us = (time.perf_counter() - t1) * 1000
    elapsed = time.time() - started
    write_report(args.report_dir / "README.md", version=args.out.name, labels=labels, y=y, table=table, chosen=chosen,
                 candidates=CANDIDATES, better=better, calib=calib, shift=shift, temperature=temperature, curve=curve,
                 abstain=abstain, calibrated=calibrated, platform=PLATFORM, shipped=shipped_name, raw=raw, meta=meta, n_families=len(np.unique(fam)),
                 onnx={"bytes": len(onnx_bytes), "parity": parity, "perWindowUs": per_window_us},
                 timing={"python": time.perf_counter() - t0, "total": elapsed},
                 machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}",
                 predictions=files)
    print(f"done in {elapsed / 60:.1f} min → {args.out}, {args.report_dir}")


if __name__ == "__main__":
    main()
