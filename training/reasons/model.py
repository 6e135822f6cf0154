"""Cheap reason models on per-window summary features, trainable in seconds on 2 cores.

The exported graph takes the full feature vector the TypeScript front end computes,
selects the candidate's columns, standardises them with training statistics (baked
in) and returns one row of logits per window; the worker averages calibrated
window probabilities into the recording's, as the evaluation here does.
"""
import numpy as np
import torch
from torch import nn


class ReasonNet(nn.Module):
    def __init__(self, columns: np.ndarray, mean: np.ndarray, std: np.ndarray, n_classes: int, hidden: int = 0):
        super().__init__()
        self.register_buffer("columns", torch.from_numpy(columns.astype(np.int64)))
        self.register_buffer("mean", torch.from_numpy(mean.astype(np.float32)))
        self.register_buffer("std", torch.from_numpy(std.astype(np.float32)))
        d = len(columns)
        self.net = (nn.Linear(d, n_classes) if hidden == 0 else
                    nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Dropout(0.2), nn.Linear(hidden, n_classes)))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = torch.index_select(features, 1, self.columns)
        return self.net((x - self.mean) / self.std)


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, columns: np.ndarray, n_classes: int, *, hidden: int,
        weight_decay: float, epochs: int, seed: int) -> ReasonNet:
    """Full-batch Adam on weighted cross-entropy (the weights carry class balance and
    recording size, see `window_weights`)."""
    torch.manual_seed(seed)
    sel = x[:, columns]
    model = ReasonNet(columns, sel.mean(0), sel.std(0) + 1e-3, n_classes, hidden)
    xt, yt, wt = torch.from_numpy(x), torch.from_numpy(y).long(), torch.from_numpy(weight.astype(np.float32))
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=weight_decay)
    model.train()
    for _ in range(epochs):
        opt.zero_grad()
        loss = (nn.functional.cross_entropy(model(xt), yt, reduction="none") * wt).sum() / wt.sum()
        loss.backward()
        opt.step()
    return model.eval()


@torch.no_grad()
def window_logits(model: ReasonNet, x: np.ndarray) -> np.ndarray:
    return model(torch.from_numpy(x)).numpy()


def window_weights(recording: np.ndarray, label: np.ndarray, n_classes: int, balanced: bool) -> np.ndarray:
    """Each recording weighs 1 in total, whatever its windows and copies; with `balanced`,
    each class then weighs the same in total (class-balanced training)."""
    _, inverse, per_rec = np.unique(recording, return_inverse=True, return_counts=True)
    w = 1.0 / per_rec[inverse]
    if balanced:
        rec_label = {r: l for r, l in zip(recording, label)}
        counts = np.bincount(list(rec_label.values()), minlength=n_classes).astype(float)
        w = w / np.maximum(counts, 1)[label] * len(rec_label) / n_classes
    return w
