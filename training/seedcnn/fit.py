"""Training loop: Adam, cross-entropy, batch 32, fixed epochs (no early stopping, so the
final fit on all data runs exactly the recipe that cross-validation measured)."""
import time

import numpy as np
import torch
from torch import nn

from .model import SeedCnn


def train(windows: np.ndarray, y: np.ndarray, n_classes: int, epochs: int, seed: int,
          batch_size: int = 32, lr: float = 1e-3, log=print) -> SeedCnn:
    torch.manual_seed(seed)
    model = SeedCnn(n_classes, *windows.shape[1:])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x, t = torch.from_numpy(windows), torch.from_numpy(y).long()
    order = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        start, total = time.perf_counter(), 0.0
        for batch in torch.randperm(len(x), generator=order).split(batch_size):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), t[batch])
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        log(f"  epoch {epoch + 1}/{epochs}  loss {total / len(x):.4f}  {time.perf_counter() - start:.1f}s")
    return model.eval()


@torch.no_grad()
def logits(model: SeedCnn, windows: np.ndarray, batch_size: int = 64) -> np.ndarray:
    model.eval()
    x = torch.from_numpy(windows)
    return torch.cat([model(b) for b in x.split(batch_size)]).numpy()
