"""Recording-level metrics of a reason model, in numpy so that 1000 bootstrap resamples take seconds.

The one home of these definitions: the evaluation report and training (training/train_reason.py) both
use them. Balanced accuracy is the mean recall over the classes present; macro-F1 is over all k labels
(sklearn's f1_score(labels=range(k), average="macro", zero_division=0)); macro AUC is one-vs-rest,
averaged over the classes that have both positives and negatives; ECE is top-label with equal-width bins.
"""
import numpy as np
from scipy.stats import rankdata

METRICS = ("accuracy", "balancedAccuracy", "macroF1", "macroAucOvr")


def confusion(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Counts, rows true class, columns predicted."""
    return np.bincount(y * k + pred, minlength=k * k).reshape(k, k)


def recalls(cm: np.ndarray) -> np.ndarray:
    """Recall per class; NaN for a class with no recordings."""
    support = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(cm) / support, np.nan)


def macro_f1(cm: np.ndarray) -> float:
    """F1 averaged over all k labels, 0 for a label neither present nor predicted: a model that never
    names a class is charged for it even where a resample holds none of it."""
    tp, support, predicted = np.diag(cm), cm.sum(axis=1), cm.sum(axis=0)
    return float(np.where(support + predicted > 0, 2 * tp / np.maximum(support + predicted, 1), 0.0).mean())


def macro_auc(y: np.ndarray, probs: np.ndarray) -> float:
    """One-vs-rest AUC (Mann–Whitney, ties counted half) averaged over classes with both outcomes in `y`."""
    aucs = []
    for c in range(probs.shape[1]):
        pos = y == c
        n_pos = int(pos.sum())
        n_neg = len(y) - n_pos
        if n_pos == 0 or n_neg == 0:
            continue
        ranks = rankdata(probs[:, c])
        aucs.append((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return float(np.mean(aucs)) if aucs else float("nan")


def summary(y: np.ndarray, probs: np.ndarray) -> dict:
    """The four headline metrics, per-class recall and the confusion matrix."""
    k = probs.shape[1]
    cm = confusion(y, probs.argmax(axis=1), k)
    rec = recalls(cm)
    return {
        "accuracy": float(np.trace(cm) / max(len(y), 1)),
        "balancedAccuracy": float(np.nanmean(rec)) if len(y) else float("nan"),
        "macroF1": macro_f1(cm) if len(y) else float("nan"),
        "macroAucOvr": macro_auc(y, probs),
        "recall": rec,
        "confusion": cm,
    }


def nll(y: np.ndarray, probs: np.ndarray) -> float:
    """Mean negative log-likelihood of the true class (probabilities floored at 1e-12)."""
    return float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None)).mean())


def ece(y: np.ndarray, probs: np.ndarray, bins: int = 15) -> float:
    """Top-label expected calibration error with equal-width confidence bins."""
    table = reliability(y, probs, bins)
    n = sum(b["count"] for b in table)
    return float(sum(b["count"] / n * abs(b["accuracy"] - b["confidence"]) for b in table if b["count"])) if n else float("nan")


def reliability(y: np.ndarray, probs: np.ndarray, bins: int = 15) -> list[dict]:
    """Per equal-width bin of top-label confidence: its edges, recordings, mean confidence, accuracy."""
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    which = np.minimum((conf * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        inside = which == b
        table.append({"low": b / bins, "high": (b + 1) / bins, "count": int(inside.sum()),
                      "confidence": float(conf[inside].mean()) if inside.any() else None,
                      "accuracy": float(correct[inside].mean()) if inside.any() else None})
    return table


def risk_coverage(y: np.ndarray, probs: np.ndarray) -> list[tuple[float, float, float]]:
    """(threshold, coverage, accuracy of the answered) for every distinct top probability, lowest first."""
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    return [(float(t), float((conf >= t).mean()), float(correct[conf >= t].mean())) for t in np.unique(conf)]


def abstention(y: np.ndarray, probs: np.ndarray, not_sure: np.ndarray) -> dict | None:
    """Coverage and accuracy of what the model answered under its own "not sure" rule (None if it gave no flags)."""
    if len(y) == 0 or any(flag is None for flag in not_sure):
        return None
    answered = ~not_sure.astype(bool)
    correct = probs.argmax(axis=1) == y
    return {"coverage": float(answered.mean()), "answered": int(answered.sum()),
            "accuracy": float(correct[answered].mean()) if answered.any() else None}


def wilson(successes: int, n: int, z: float = 1.959964) -> list[float] | None:
    """95 % Wilson score interval of a proportion (sound at 0/n and n/n, unlike the normal one)."""
    if n == 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [float(max(0.0, centre - half)), float(min(1.0, centre + half))]
