"""The training report's table of every model: point values with 95 % family-bootstrap intervals and
paired differences, computed by training/evalreport (the one home of the metric definitions)."""
import numpy as np

from evalreport.bootstrap import on_resamples
from evalreport.metrics import METRICS, summary


def with_intervals(y: np.ndarray, probs: dict[str, np.ndarray], resamples: list[np.ndarray],
                   reference: dict[str, list[str]]) -> dict:
    """{"models": {name: {metric: {value, ci95}}}, "differences": {"model − ref": {metric: {value, ci95}}}}
    for every model in `probs` and every (model, ref) pair in `reference`, all on the same resamples."""
    pairs = [(model, ref) for model, refs in reference.items() for ref in refs]
    boot = on_resamples(y, probs, resamples, pairs)
    points = {name: summary(y, p) for name, p in probs.items()}
    return {"models": {name: {m: {"value": points[name][m], "ci95": boot["intervals"][name][m]} for m in METRICS}
                       for name in probs},
            "differences": {f"{a} − {b}": d for (a, b), d in boot["differences"].items()}}
