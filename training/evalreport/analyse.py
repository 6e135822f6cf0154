"""Everything the report says, computed once into one JSON-ready dict (written as metrics.json)."""
from collections import Counter

import numpy as np

from .bootstrap import RESAMPLES, SEED, family_bootstrap
from .gate import gate_summary, not_decoded, unknown_labels
from .load import Predictions, Scored
from .metrics import METRICS, abstention, ece, reliability, risk_coverage, summary


def evaluate(runs: list[Predictions], resamples: int = RESAMPLES, seed: int = SEED) -> tuple[dict, dict]:
    """Returns (metrics, curves): `metrics` for metrics.json and the text, `curves` the arrays the plots need."""
    main, labels = runs[0], runs[0].labels
    s = main.scored()
    if len(s.y) == 0:
        raise ValueError(f"{main.path}: no cry passed the gate with a label the model knows; nothing to score")
    majority = int(np.bincount(s.y, minlength=len(labels)).argmax())
    baseline = f'always "{labels[majority]}"'
    constant = np.zeros_like(s.probs)
    constant[:, majority] = 1.0

    boot = family_bootstrap(s.y, s.families, {main.name: s.probs, baseline: constant}, [(main.name, baseline)], resamples, seed)
    systems = [_system(main.name, main.shown, s, s.probs, labels, boot["intervals"][main.name]),
               _system(baseline, None, s, constant, labels, boot["intervals"][baseline], flags=False)]
    differences = [_difference(main.name, baseline, len(s.y), s.families, boot["differences"][(main.name, baseline)])]
    curves = {"labels": labels, "systems": {main.name: (s.y, s.probs), baseline: (s.y, constant)},
              "notSure": systems[0]["notSureRule"], "model": main.name, "baseline": baseline}

    for other in runs[1:]:
        c = _aligned(other, labels)
        own = family_bootstrap(c.y, c.families, {other.name: c.probs}, n=resamples, seed=seed)
        systems.append(_system(other.name, other.shown, c, c.probs, labels, own["intervals"][other.name]))
        curves["systems"][other.name] = (c.y, c.probs)
        # Paired only on recordings both scored with the same label: a difference elsewhere is no comparison.
        where = {key: i for i, key in enumerate(c.keys)}
        pairs = [(i, where[key]) for i, key in enumerate(s.keys) if key in where and c.y[where[key]] == s.y[i]]
        if pairs:
            mi, ci = (np.array(side) for side in zip(*pairs))
            paired = family_bootstrap(s.y[mi], s.families[mi], {main.name: s.probs[mi], other.name: c.probs[ci]},
                                      [(main.name, other.name)], resamples, seed)
            differences.append(_difference(main.name, other.name, len(mi), s.families[mi], paired["differences"][(main.name, other.name)]))
        else:
            differences.append({"model": main.name, "versus": other.name, "recordings": 0})

    rows = main.rows
    metrics = {
        "labels": labels,
        "chance": {"balancedAccuracy": 1 / len(labels), "macroAucOvr": 0.5},
        "bootstrap": {"unit": "family", "resamples": resamples, "seed": seed, "interval": "95 % percentile"},
        "data": _data(rows, s, labels),
        "systems": systems,
        "differences": differences,
        "gate": gate_summary(rows),
        "unknownLabels": unknown_labels(rows, labels),
        "notDecoded": not_decoded(rows),
        "notVoiceNote": sum(1 for r in rows if r.get("delivered") == "original"),
        "analysisMs": _timing(rows),
    }
    return metrics, curves


def _aligned(run: Predictions, labels: list[str]) -> Scored:
    """A comparison's scored recordings with its probabilities in the main model's label order."""
    if set(run.labels) != set(labels):
        raise ValueError(f"{run.path}: labels {run.labels} differ from the model's {labels}; no like-for-like comparison")
    c = run.scored()
    order = [run.labels.index(label) for label in labels]
    y = np.array([order.index(v) for v in c.y], dtype=int)
    return Scored(c.keys, y, c.probs[:, order], c.families, c.not_sure)


def _system(name: str, path: str | None, s: Scored, probs: np.ndarray, labels: list[str], intervals: dict,
            flags: bool = True) -> dict:
    point = summary(s.y, probs)
    support = np.bincount(s.y, minlength=len(labels))
    return {
        "name": name,
        "predictions": path,
        "recordings": len(s.y),
        "families": len(np.unique(s.families)),
        **{m: {"value": point[m], "ci95": intervals[m]} for m in METRICS},
        "perClass": {label: {"recall": None if np.isnan(point["recall"][i]) else float(point["recall"][i]),
                             "ci95": intervals["recall"][i], "support": int(support[i])} for i, label in enumerate(labels)},
        "confusion": point["confusion"].tolist(),
        "ece15": ece(s.y, probs),
        "reliability": reliability(s.y, probs),
        "notSureRule": abstention(s.y, probs, s.not_sure) if flags else None,
        "riskCoverage": risk_coverage(s.y, probs),
    }


def _difference(a: str, b: str, n: int, families: np.ndarray, diff: dict) -> dict:
    return {"model": a, "versus": b, "recordings": n, "families": len(np.unique(families)), **diff}


def _data(rows: list[dict], s: Scored, labels: list[str]) -> dict:
    return {
        "recordings": len(rows),
        "bySourceAndKind": [{"source": src, "kind": kind, "recordings": n}
                            for (src, kind), n in sorted(Counter((r["source"], r["kind"]) for r in rows).items())],
        "labelledCries": sum(1 for r in rows if r["kind"] == "cry" and r["label"] is not None),
        "unlabelledCries": sum(1 for r in rows if r["kind"] == "cry" and r["label"] is None),
        "scored": {"recordings": len(s.y), "families": len(np.unique(s.families)),
                   "perLabel": {label: int(n) for label, n in zip(labels, np.bincount(s.y, minlength=len(labels)))}},
        "models": sorted({r["model"] for r in rows}),
    }


def _timing(rows: list[dict]) -> dict | None:
    def pct(values):
        return {"recordings": len(values), "p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))} if values else None
    every = [r["analysisMs"] for r in rows if r.get("analysisMs") is not None]
    if not every:
        return None
    return {"all": pct(every), "answered": pct([r["analysisMs"] for r in rows if r.get("analysisMs") is not None and r["gate"]["verdict"] == "ok"])}
