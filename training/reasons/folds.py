"""The one fold assignment every model in the comparison is scored on.

Folds are drawn over the cleaned Donate-a-cry recordings, sorted by path
(label folder, then file: the order dump-features.ts writes them), with
StratifiedGroupKFold grouped by family (app-install uuid) and a fixed seed.
seed_oof.py (the seed recipe) and train_reason.py both take their folds from here.
"""
import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

SEED = 2015
FOLDS = 5


def family_folds(recordings: list[str], labels: list[str], families: list[str], n_folds: int = FOLDS,
                 seed: int = SEED) -> dict[str, int]:
    """recording → fold number; `recordings` must be unique."""
    order = sorted(range(len(recordings)), key=lambda i: recordings[i])
    y = np.array([labels[i] for i in order])
    g = np.array([families[i] for i in order])
    fold_of = {}
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, test) in enumerate(splitter.split(np.zeros(len(order)), y, groups=g)):
        for i in test:
            fold_of[recordings[order[i]]] = k
    return fold_of
