"""Markdown tables of the reason-v2 evaluation run (the figures come from training/evalreport)."""
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from evalreport.metrics import METRICS

NAMES = {"accuracy": "accuracy", "balancedAccuracy": "balanced accuracy", "macroF1": "macro-F1", "macroAucOvr": "macro AUC (OvR)"}


def cell(entry: dict) -> str:
    lo, hi = entry["ci95"]
    return f"{entry['value']:.3f} [{lo:.3f}, {hi:.3f}]"


def diff_cell(entry: dict) -> str:
    lo, hi = entry["ci95"]
    return f"{entry['value']:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def write_report(path: Path, *, version, labels, y, table, chosen, candidates, better, calib, shift, temperature, curve,
                 abstain, calibrated, raw, meta, platform, shipped, n_families, onnx, timing, machine, predictions) -> None:
    k = len(labels)
    models = table["models"]
    order = ["always hungry", "seed recipe", platform] + [c.name for c in candidates] + [shipped]
    described = {c.name: c.description for c in candidates} | {
        "always hungry": "majority baseline", "seed recipe": "seed-v1 recipe: 22.05 kHz, 128 mels, 5 s windows, 3-block CNN",
        platform: "hears nothing: the label mix of the training folds' recordings from the same app platform (iOS / Android); "
                  "whatever a model scores beyond chance by recognising the phone's codec, this row scores too",
        shipped: f"the chosen candidate's ({chosen.name}) out-of-fold logits through the calibration the shipped model applies "
                 "(prior shift + temperature, cross-fitted: each fold calibrated on the other four) — what the bot would show"}
    pred = calibrated.argmax(axis=1)
    lines = [
        f"# {version}: grouped evaluation of the reason model", "",
        f"Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `npm run train` on {machine}. "
        f"Run time {timing['total'] / 60:.1f} min in all (the Python part {timing['python'] / 60:.1f} min; "
        "the seed recipe's out-of-fold predictions are reused from training/cache when present; recomputing them took 39 min on this machine while shared with other jobs).", "",
        f"Evaluation: 5-fold `StratifiedGroupKFold` grouped by family (app-install uuid, seed 2015), the same folds for every "
        f"model; {len(y)} cleaned Donate-a-cry recordings from {n_families} families, each scored **after a Telegram-style "
        "Opus round trip** (OGG/Opus 48 kHz mono 32 kb/s voip, decoded by audio/decode.ts). Intervals: 95 % percentile "
        "bootstrap over families (1000 resamples); differences are paired (same resamples).", "",
        f"Classes (recordings): " + ", ".join(f"{l} {int((y == c).sum())}" for c, l in enumerate(labels)) + ".", "",
        "## All models, out of fold", "",
        "| model | " + " | ".join(NAMES.values()) + " |", "|---|" + "---|" * 4,
        *[f"| {name}{' **(chosen)**' if name == chosen.name else ''} | " + " | ".join(cell(models[name][m]) for m in METRICS) + " |"
          for name in order], "",
        "Model descriptions:", "",
        *[f"- **{name}**: {described[name]}" for name in order], "",
        "The candidates were declared before scoring (training/reasons/candidates.py); the chosen one is the highest "
        "out-of-fold macro AUC. Picking the best of six on the same folds flatters it a little: read its interval, not its "
        "point estimate. Calibration is not monotone per class (a per-class shift and one temperature, applied per window "
        "before averaging, and fitted per fold), so the calibrated model ranks recordings differently: its AUC is its own.", "",
        f"## {chosen.name} and the shipped calibration against the baselines (paired differences)", "",
        "| comparison | " + " | ".join(NAMES.values()) + " |", "|---|" + "---|" * 4,
        *[f"| {name} | " + " | ".join(diff_cell(table['differences'][name][m]) for m in METRICS) + " |"
          for name in (f"{chosen.name} − always hungry", f"{chosen.name} − seed recipe", f"{chosen.name} − {platform}",
                       f"{shipped} − always hungry", f"{shipped} − seed recipe")], "",
        "**Ship rule** (better only if it beats both on grouped balanced accuracy AND AUC with intervals above 0): "
        + ("**met** — shipped as better." if better else
           "**not met** — shipped as the best 8 kHz model, calibrated, with the bot saying plainly what the sound alone can and cannot tell."), "",
        "## Calibration (shipped model)", "",
        f"Per window softmax(logits / T + shift): temperature T = {temperature:.3f} and prior shift (per class {labels}) {np.round(shift, 3).tolist()}, "
        "fitted by recording-level NLL on the out-of-fold predictions. The \"after\" numbers are cross-fitted: each fold is "
        "calibrated with parameters fitted on the other four, so they too are measured on unseen families.", "",
        "| | before (class-balanced training, raw) | after (cross-fitted) |", "|---|---|---|",
        f"| ECE (15 bins, top label) | {calib['eceBefore']:.3f} | {calib['eceAfter']:.3f} |",
        f"| NLL | {calib['nllBefore']:.3f} | {calib['nllAfter']:.3f} |", "",
        "## Risk–coverage (calibrated, out of fold) and the \"not sure\" rule", "",
        "| min top probability | coverage | accuracy of answered |", "|---|---|---|",
        *[f"| {t:.3f} | {cov:.3f} | {acc:.3f} |" for t, cov, acc in thin(curve)], "",
        f"Rule: answer only at a top probability where held-out families are right ≥ 90 % of the time on ≥ 10 % of "
        "recordings AND the answers beat the always-\"hungry\" guess on the same recordings (lower end of the paired "
        f"family-bootstrap interval > 0). Chosen: **{abstain['rule']}**, threshold {abstain['threshold']:.3f}, "
        + (f"coverage {abstain['coverage']:.3f}, accuracy {abstain['accuracy']:.3f}." if abstain['accuracy'] is not None else
           f"coverage 0 — no threshold qualifies (best point on the curve: threshold {abstain['bestPointOnCurve']['threshold']:.3f}, "
           f"coverage {abstain['bestPointOnCurve']['coverage']:.3f}, accuracy {abstain['bestPointOnCurve']['accuracy']:.3f}, "
           "on too few recordings to carry a rule)."), "",
        "## Per-class recall and confusion (shipped model, calibrated, out of fold)", "",
        "| class | recordings | recall |", "|---|---|---|",
        *[f"| {l} | {int((y == c).sum())} | {float((pred[y == c] == c).mean()):.3f} |" for c, l in enumerate(labels)], "",
        "| true \\ predicted | " + " | ".join(labels) + " |", "|---|" + "---|" * k,
        *[f"| {l} | " + " | ".join(str(int(((y == c) & (pred == j)).sum())) for j in range(k)) + " |" for c, l in enumerate(labels)], "",
        "## Data", "",
        f"Copies dumped (recordings): {meta['copies']}. Raw uploads skipped: {meta['rawSkipped']}.", "",
        "Raw uploads are used for training only (never scored), and only those the cry gate passes, that are not already "
        "in the cleaned set (uuid + timestamp), whose label maps onto the five (cold/hot → discomfort), and whose `.3gp` "
        "decode is not the known ~1.06 s truncation. Their family's fold is respected.", "",
        "## Model file", "",
        f"- ONNX {onnx['bytes']} bytes; ONNX vs torch max |Δlogit| {onnx['parity']:.1e}; onnxruntime (Python) {onnx['perWindowUs']:.0f} µs per window.",
        f"- Predictions (evalreport contract): " + ", ".join(f"`{p}`" for p in predictions.values()), "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def thin(curve: list[tuple[float, float, float]], steps=(0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)) -> list[tuple]:
    """The curve of (threshold, coverage, accuracy) at a few thresholds (the first point at or above each)."""
    out = []
    for s in steps:
        point = next((p for p in curve if p[0] >= s), None)
        if point and point not in out:
            out.append(point)
    return out
