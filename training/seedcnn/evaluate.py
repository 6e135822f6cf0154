"""Recording-level metrics, calibration and abstention, all on out-of-fold predictions."""
import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, roc_auc_score

from .data import recording_probs


def recalls(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Recall per class; NaN for a class absent from `y`."""
    return np.array([(pred[y == c] == c).mean() if (y == c).any() else np.nan for c in range(k)])


def macro_auc(y: np.ndarray, probs: np.ndarray) -> float:
    """One-vs-rest AUC averaged over the classes that have both positives and negatives in `y`."""
    aucs = [roc_auc_score(y == c, probs[:, c]) for c in range(probs.shape[1]) if 0 < (y == c).sum() < len(y)]
    return float(np.mean(aucs))


def summary(y: np.ndarray, probs: np.ndarray, labels: list[str]) -> dict:
    k = len(labels)
    pred = probs.argmax(axis=1)
    rec = recalls(y, pred, k)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "balancedAccuracy": float(np.nanmean(rec)),
        "macroF1": float(f1_score(y, pred, labels=range(k), average="macro", zero_division=0)),
        "macroAucOvr": macro_auc(y, probs),
        "perClassRecall": {label: float(r) for label, r in zip(labels, rec)},
        "confusion": confusion_matrix(y, pred, labels=range(k)).tolist(),
    }


def bootstrap_ci(y, probs, families, n=1000, seed=0) -> dict:
    """95 % percentile intervals for balanced accuracy and macro AUC, resampling whole families
    (the unit that is independent here), not recordings."""
    rng = np.random.default_rng(seed)
    uniq = np.unique(families)
    members = [np.flatnonzero(families == f) for f in uniq]
    k, pred = probs.shape[1], probs.argmax(axis=1)
    bal, auc = [], []
    for _ in range(n):
        idx = np.concatenate([members[i] for i in rng.integers(0, len(uniq), len(uniq))])
        bal.append(np.nanmean(recalls(y[idx], pred[idx], k)))
        auc.append(macro_auc(y[idx], probs[idx]))
    ci = lambda v: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))]
    return {"balancedAccuracyCi95": ci(bal), "macroAucOvrCi95": ci(auc)}


def nll(y: np.ndarray, probs: np.ndarray) -> float:
    return float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None)).mean())


def fit_temperature(window_logits, window_rec, y) -> float:
    """T minimising the recording-level NLL, with T applied to window logits before the
    softmax and the average, exactly where the worker applies it."""
    n = len(y)
    loss = lambda log_t: nll(y, recording_probs(window_logits, window_rec, n, float(np.exp(log_t))))
    res = minimize_scalar(loss, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x))


def ece(y: np.ndarray, probs: np.ndarray, bins: int = 15) -> float:
    """Top-label expected calibration error with equal-width confidence bins."""
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    which = np.minimum((conf * bins).astype(int), bins - 1)
    return float(sum(abs(correct[which == b].mean() - conf[which == b].mean()) * (which == b).mean()
                     for b in range(bins) if (which == b).any()))


def risk_coverage(y: np.ndarray, probs: np.ndarray) -> list[tuple[float, float, float]]:
    """(threshold, coverage, accuracy of answered) for every distinct top probability."""
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    return [(float(t), float((conf >= t).mean()), float(correct[conf >= t].mean())) for t in np.unique(conf)]


def choose_threshold(curve, min_accuracy=0.90, min_coverage=0.10) -> dict:
    """Smallest top-probability threshold whose answered recordings are ≥ 90 % right while
    ≥ 10 % are answered. If none qualifies the model always says "not sure" (threshold 1.0)."""
    for t, cov, acc in curve:
        if cov >= min_coverage and acc >= min_accuracy:
            return {"minTopProbability": t, "coverage": cov, "accuracyAtCoverage": acc}
    return {"minTopProbability": 1.0, "coverage": 0.0, "accuracyAtCoverage": None}
