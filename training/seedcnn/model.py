"""The seed CNN: three conv blocks, one hidden dense layer, K logits."""
import torch
from torch import nn

# Fixed input standardisation, baked into the graph so the worker feeds raw
# log-mel dB (range [-80, 0]) exactly as it computes them. The constants are
# the rounded mean / std of the seed dump (-59.3 dB, 19.3 dB); being fixed,
# they cannot drift between folds or leak validation statistics.
DB_MEAN = -60.0
DB_STD = 20.0


def block(cin: int, cout: int, pool: int) -> nn.Sequential:
    # Valid (unpadded) convolutions: the border of a log-mel image carries no
    # special meaning, and dropping it shrinks the map that feeds the dense layer.
    return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU(), nn.MaxPool2d(pool))


class SeedCnn(nn.Module):
    """Input `[batch, n_mels, frames]` log-mel dB; output `[batch, K]` logits.

    With 128×200 input the maps are 126×198 → 63×99 → 61×97 → 30×48 → 28×46 →
    9×15 (3×3 pool in the last block), so the dense layer has 128·9·15 = 17,280
    inputs: 2.2 M weights, about 9 MB of float32 in total. With 2×2 pooling
    throughout it would be 128·14·23 = 41,216 inputs and a ~21 MB file.
    """

    def __init__(self, n_classes: int, n_mels: int = 128, frames: int = 200):
        super().__init__()
        self.features = nn.Sequential(block(1, 32, 2), block(32, 64, 2), block(64, 128, 3))
        with torch.no_grad():
            flat = self.features(torch.zeros(1, 1, n_mels, frames)).numel()
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, n_classes)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = ((features - DB_MEAN) / DB_STD).unsqueeze(1)  # the graph adds the channel dim itself
        return self.head(self.features(x))
