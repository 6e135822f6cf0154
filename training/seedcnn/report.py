"""Markdown printout of an evaluation run."""
from datetime import datetime, timezone
from pathlib import Path


def _f(v) -> str:
    return "n/a" if v is None or v != v else f"{v:.3f}"


def _ci(ci) -> str:
    return f" [{ci[0]:.3f}, {ci[1]:.3f}]"


def write_report(path: Path, *, version, labels, model, baseline, calib, temperature, curve, abstain,
                 folds, epochs, seed, recordings, families, onnx, timing, machine) -> None:
    counts = [sum(row) for row in model["confusion"]]
    out = [
        f"# {version}: seed recipe evaluation",
        "",
        f"Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `training/train.sh` on {machine}.",
        f"Run time: {timing['total'] / 60:.1f} min in all (cross-validation {timing['cv'] / 60:.1f} min, "
        f"Python part {timing['python'] / 60:.1f} min). {epochs} epochs, seed {seed}.",
        "",
        f"Evaluation: {len(folds)}-fold `StratifiedGroupKFold` grouped by family (app-install uuid), "
        f"{recordings} recordings from {families} families. Scores are per recording: the softmax of its "
        "windows averaged. Intervals are 95 % bootstrap percentiles over families (1000 resamples).",
        "",
        "## Model vs always-\"hungry\" baseline",
        "",
        "| metric | model | always \"hungry\" |",
        "| --- | --- | --- |",
        f"| accuracy | {_f(model['accuracy'])} | {_f(baseline['accuracy'])} |",
        f"| balanced accuracy | {_f(model['balancedAccuracy'])}{_ci(model['balancedAccuracyCi95'])} | {_f(baseline['balancedAccuracy'])} |",
        f"| macro-F1 | {_f(model['macroF1'])} | {_f(baseline['macroF1'])} |",
        f"| macro AUC (one-vs-rest) | {_f(model['macroAucOvr'])}{_ci(model['macroAucOvrCi95'])} | 0.500 |",
        "",
        f"Chance level for balanced accuracy is {1 / len(labels):.3f} ({len(labels)} classes).",
        "",
        "## Per-class recall",
        "",
        "| class | recordings | model | always \"hungry\" |",
        "| --- | --- | --- | --- |",
        *[f"| {c} | {n} | {_f(model['perClassRecall'][c])} | {_f(baseline['perClassRecall'][c])} |"
          for c, n in zip(labels, counts)],
        "",
        "## Confusion matrix (model; rows true, columns predicted)",
        "",
        "| true \\ predicted | " + " | ".join(labels) + " |",
        "| --- |" + " --- |" * len(labels),
        *[f"| {c} | " + " | ".join(str(v) for v in row) + " |" for c, row in zip(labels, model["confusion"])],
        "",
        "## Calibration",
        "",
        f"Temperature fitted on the out-of-fold window logits (recording-level NLL): T = {temperature:.3f}.",
        "",
        "| | before | after |",
        "| --- | --- | --- |",
        f"| ECE (15 bins, top label) | {_f(calib['before'])} | {_f(calib['after'])} |",
        f"| NLL | {_f(calib['nllBefore'])} | {_f(calib['nllAfter'])} |",
        "",
        "## Risk–coverage (calibrated, out of fold)",
        "",
        "| min top probability | coverage | accuracy of answered |",
        "| --- | --- | --- |",
    ]
    for t in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        point = next(((th, cov, acc) for th, cov, acc in curve if th >= t), None)
        out.append(f"| {t:.2f} | {_f(point[1]) if point else '0.000'} | {_f(point[2]) if point else 'n/a'} |")
    rule = abstain["minTopProbability"]
    out += [
        "",
        (f"Abstention rule: answer only when the calibrated top probability is ≥ {rule:.4f}; out of fold that "
         f"answers {abstain['coverage']:.1%} of recordings with accuracy {abstain['accuracyAtCoverage']:.1%}."
         if abstain["accuracyAtCoverage"] is not None else
         "No threshold reaches 90 % accuracy at ≥ 10 % coverage: the model always answers \"not sure\" (1.0)."),
        "Accuracy here is dominated by `hungry` (the majority class); the always-\"hungry\" baseline is "
        f"{baseline['accuracy']:.1%} right at 100 % coverage.",
        "",
        "## Folds",
        "",
        "| fold | train recordings | validation recordings | validation classes (" + ", ".join(labels) + ") |",
        "| --- | --- | --- | --- |",
        *[f"| {i + 1} | {f['train']} | {f['validation']} | {f['validationClasses']} |" for i, f in enumerate(folds)],
        "",
        "## Export",
        "",
        f"`model.onnx`: {onnx['bytes'] / 1e6:.1f} MB, opset {onnx['opset']}, {onnx['exporter']} exporter; "
        f"max |ONNX − torch| logit difference on 8 real windows {onnx['parity']:.1e}.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out))
