"""95 % intervals by resampling families, the independent unit: recordings of one app install (one baby,
often minutes apart) are strongly correlated, so resampling recordings would make intervals too narrow."""
import numpy as np

from .metrics import METRICS, summary

RESAMPLES = 1000
SEED = 2015


def family_resamples(families: np.ndarray, n: int = RESAMPLES, seed: int = SEED) -> list[np.ndarray]:
    """`n` resamples of whole families, as row indices (the same draws for the same families and seed)."""
    rng = np.random.default_rng(seed)
    uniq, inverse = np.unique(families, return_inverse=True)
    members = [np.flatnonzero(inverse == f) for f in range(len(uniq))]
    return [np.concatenate([members[f] for f in rng.integers(0, len(uniq), len(uniq))]) for _ in range(n)]


def family_bootstrap(y: np.ndarray, families: np.ndarray, systems: dict[str, np.ndarray],
                     pairs: list[tuple[str, str]] = (), n: int = RESAMPLES, seed: int = SEED) -> dict:
    """Percentile intervals of each system's metrics and per-class recall, and of the paired differences
    a − b for each pair, all on the same resamples (so a difference keeps the pairing of recordings).

    `systems` maps a name to probabilities aligned with `y` and `families`."""
    return on_resamples(y, systems, family_resamples(families, n, seed), pairs)


def on_resamples(y: np.ndarray, systems: dict[str, np.ndarray], resamples: list[np.ndarray],
                 pairs: list[tuple[str, str]] = ()) -> dict:
    """family_bootstrap on resamples drawn once by the caller (training reuses them for its abstention rule)."""
    draws = {name: {m: [] for m in METRICS} | {"recall": []} for name in systems}
    for idx in resamples:
        for name, probs in systems.items():
            s = summary(y[idx], probs[idx])
            for m in METRICS:
                draws[name][m].append(s[m])
            draws[name]["recall"].append(s["recall"])
    intervals = {name: {m: _ci(d[m]) for m in METRICS} | {"recall": [_ci(col) for col in np.array(d["recall"]).T]}
                 for name, d in draws.items()}
    differences = {}
    for a, b in pairs:
        point_a, point_b = summary(y, systems[a]), summary(y, systems[b])
        differences[(a, b)] = {m: {"value": point_a[m] - point_b[m],
                                   "ci95": _ci(np.array(draws[a][m]) - np.array(draws[b][m]))} for m in METRICS}
    return {"intervals": intervals, "differences": differences}


def _ci(values) -> list[float] | None:
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]  # a resample missing a class has no AUC or recall for it
    return [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] if len(v) else None
