"""Calibration exactly where the worker applies it: per window, softmax(logits / T + shift),
then the mean over the recording's windows.

T sharpens or flattens; `shift` is a prior-matching correction: class-balanced training
leaves the model believing every reason is equally common, and the shift (fitted, one
per class, the first fixed at 0) puts back how often each reason really is behind a cry. Both are fitted by recording-level NLL on grouped validation
folds; `cross_fitted` scores each fold with parameters fitted on the other folds,
so the "after" calibration error is itself measured on unseen families.
"""
import numpy as np
from scipy.optimize import minimize


def recording_probs(window_logits: np.ndarray, window_rec: np.ndarray, n_rec: int, shift=None, temperature=1.0) -> np.ndarray:
    z = window_logits / temperature + (0 if shift is None else shift)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    out = np.zeros((n_rec, p.shape[1]))
    np.add.at(out, window_rec, p)
    return out / np.maximum(np.bincount(window_rec, minlength=n_rec), 1)[:, None]


def fit(window_logits: np.ndarray, window_rec: np.ndarray, y: np.ndarray, rec_index: np.ndarray) -> tuple[np.ndarray, float]:
    """(shift, T) minimising the NLL of the recordings in `rec_index` (window_rec indexes all recordings)."""
    k, n = window_logits.shape[1], int(window_rec.max()) + 1
    mask = np.isin(window_rec, rec_index)

    def loss(theta):
        shift, t = np.concatenate([[0.0], theta[:k - 1]]), float(np.exp(theta[-1]))
        p = recording_probs(window_logits[mask], window_rec[mask], n, shift, t)[rec_index]
        return -np.log(np.clip(p[np.arange(len(rec_index)), y[rec_index]], 1e-12, None)).mean()

    res = minimize(loss, np.zeros(k), method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-4, "fatol": 1e-7})
    return np.concatenate([[0.0], res.x[:k - 1]]), float(np.exp(res.x[-1]))


def cross_fitted(window_logits, window_rec, y, rec_fold) -> np.ndarray:
    """Recording probabilities where each fold is calibrated on the other folds only."""
    n = len(y)
    out = np.zeros((n, window_logits.shape[1]))
    for fold in np.unique(rec_fold):
        shift, t = fit(window_logits, window_rec, y, np.flatnonzero(rec_fold != fold))
        out[rec_fold == fold] = recording_probs(window_logits, window_rec, n, shift, t)[rec_fold == fold]
    return out
