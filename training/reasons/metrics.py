"""Recording-level metrics with family-bootstrap intervals, paired differences, calibration error."""
import numpy as np
from scipy.stats import rankdata

METRICS = ("accuracy", "balancedAccuracy", "macroF1", "macroAucOvr")


def auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann–Whitney) formula; ties count one half."""
    ranks = rankdata(score)
    n_pos = positive.sum()
    n_neg = len(positive) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def macro_auc(y: np.ndarray, probs: np.ndarray) -> float:
    """One-vs-rest AUC averaged over classes with positives and negatives present; ties
    (a constant predictor) give 0.5."""
    aucs = [auc(y == c, probs[:, c]) for c in range(probs.shape[1]) if 0 < (y == c).sum() < len(y)]
    return float(np.mean(aucs)) if aucs else float("nan")


def scores(y: np.ndarray, probs: np.ndarray) -> dict:
    """Accuracy, balanced accuracy (mean recall over classes present), macro-F1 over all
    classes (0 for a class never predicted nor present), macro one-vs-rest AUC."""
    k, pred = probs.shape[1], probs.argmax(axis=1)
    tp = np.array([((pred == c) & (y == c)).sum() for c in range(k)], dtype=float)
    support = np.bincount(y, minlength=k).astype(float)
    predicted = np.bincount(pred, minlength=k).astype(float)
    present = support > 0
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros(k), where=(support + predicted) > 0)
    return {
        "accuracy": float((pred == y).mean()),
        "balancedAccuracy": float(np.mean(tp[present] / support[present])),
        "macroF1": float(f1.mean()),
        "macroAucOvr": macro_auc(y, probs),
    }


def family_resamples(families: np.ndarray, n: int, seed: int) -> list[np.ndarray]:
    """Bootstrap resamples of whole families (the independent unit), as row indices."""
    rng = np.random.default_rng(seed)
    uniq = np.unique(families)
    members = [np.flatnonzero(families == f) for f in uniq]
    return [np.concatenate([members[i] for i in rng.integers(0, len(uniq), len(uniq))]) for _ in range(n)]


def with_intervals(y: np.ndarray, probs: dict[str, np.ndarray], resamples: list[np.ndarray],
                   reference: dict[str, str]) -> dict:
    """Point estimates and 95 % percentile intervals per model, and paired differences
    (model − reference) on the same resamples for each pair in `reference`."""
    point = {name: scores(y, p) for name, p in probs.items()}
    boot = {name: [scores(y[idx], p[idx]) for idx in resamples] for name, p in probs.items()}
    ci = lambda v: [float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))]
    out = {name: {m: {"value": point[name][m], "ci95": ci([b[m] for b in boot[name]])} for m in METRICS} for name in probs}
    diffs = {}
    for model, refs in reference.items():
        for ref in refs:
            diffs[f"{model} − {ref}"] = {
                m: {"value": point[model][m] - point[ref][m],
                    "ci95": ci([a[m] - b[m] for a, b in zip(boot[model], boot[ref])])}
                for m in METRICS}
    return {"models": out, "differences": diffs}


def nll(y: np.ndarray, probs: np.ndarray) -> float:
    return float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None)).mean())


def ece(y: np.ndarray, probs: np.ndarray, bins: int = 15) -> float:
    """Top-label expected calibration error, equal-width confidence bins."""
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    which = np.minimum((conf * bins).astype(int), bins - 1)
    return float(sum(abs(correct[which == b].mean() - conf[which == b].mean()) * (which == b).mean()
                     for b in range(bins) if (which == b).any()))


def risk_coverage(y: np.ndarray, probs: np.ndarray) -> list[dict]:
    """For each distinct top probability t: share answered (top ≥ t) and their accuracy."""
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    return [{"threshold": float(t), "coverage": float((conf >= t).mean()), "accuracy": float(correct[conf >= t].mean())}
            for t in np.unique(conf)]
