"""The candidates compared in one evaluation run, declared before any was scored.

Each names the feature groups it reads (audio/reason-features.ts), the copies and
recording sets it trains on, whether training is class-balanced, and the model
(hidden = 0: multinomial logistic regression; > 0: one hidden layer).
"""
from dataclasses import dataclass, field

ALL_GROUPS = ("shape", "deviation", "spread", "motion", "dynamics", "pitch")
NORMALISED = ("deviation", "spread", "motion", "dynamics", "pitch")


@dataclass(frozen=True)
class Candidate:
    name: str
    description: str
    groups: tuple[str, ...]
    copies: tuple[str, ...] = ("clean", "voice-note", "augmented")
    sets: tuple[str, ...] = ("cleaned", "raw")
    balanced: bool = True
    hidden: int = 0
    weight_decay: float = 1e-2
    epochs: int = 300
    extra: dict = field(default_factory=dict)


CANDIDATES = (
    Candidate("lr-all-clean", "logistic regression, all features, clean cleaned-set clips only, class-balanced",
              ALL_GROUPS, copies=("clean",), sets=("cleaned",)),
    Candidate("lr-all-aug", "logistic regression, all features, + Opus and noise/gain copies, + gate-passed raw uploads",
              ALL_GROUPS),
    Candidate("lr-norm-aug", "logistic regression, per-recording-normalised features only (no absolute spectral shape), + copies, + raw",
              NORMALISED),
    Candidate("lr-pitch", "logistic regression, pitch/voicing and dynamics only, + copies, + raw",
              ("dynamics", "pitch")),
    Candidate("lr-norm-unbalanced", "as lr-norm-aug without class balancing", NORMALISED, balanced=False),
    Candidate("mlp-norm-aug", "one hidden layer (32), normalised features, + copies, + raw, class-balanced",
              NORMALISED, hidden=32, weight_decay=1e-3, epochs=200),
)
