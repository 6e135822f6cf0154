"""Loads the features dumped by `training/dump-features.ts` (never recomputed here)."""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Dataset:
    windows: np.ndarray      # [n_windows, n_mels, frames] float32 log-mel dB
    window_rec: np.ndarray   # [n_windows] index of the recording a window belongs to
    recordings: list[str]    # recording path relative to the cleaned-data folder
    rec_label: np.ndarray    # [n_recordings] class index
    rec_family: np.ndarray   # [n_recordings] family (app-install uuid) as a string

    @property
    def window_label(self) -> np.ndarray:
        return self.rec_label[self.window_rec]


def load(cache_dir: Path, labels: list[str], n_mels: int, frames: int) -> Dataset:
    rows = [json.loads(line) for line in (cache_dir / "index.jsonl").read_text().splitlines() if line]
    windows = np.fromfile(cache_dir / "features.f32", dtype="<f4")
    if windows.size != len(rows) * n_mels * frames:
        raise ValueError(f"features.f32 holds {windows.size} values, index.jsonl expects {len(rows)}×{n_mels}×{frames}")
    windows = windows.reshape(len(rows), n_mels, frames)

    recordings: dict[str, int] = {}
    rec_label, rec_family, window_rec = [], [], []
    for row in rows:
        if row["recording"] not in recordings:
            recordings[row["recording"]] = len(recordings)
            rec_label.append(labels.index(row["label"]))
            rec_family.append(row["uuid"])
        window_rec.append(recordings[row["recording"]])
    return Dataset(
        windows=windows,
        window_rec=np.array(window_rec),
        recordings=list(recordings),
        rec_label=np.array(rec_label),
        rec_family=np.array(rec_family),
    )


def recording_probs(window_logits: np.ndarray, window_rec: np.ndarray, n_recordings: int, temperature: float = 1.0) -> np.ndarray:
    """Recording-level probabilities as the worker forms them: softmax(logits / T) per window, averaged."""
    z = window_logits / temperature
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    out = np.zeros((n_recordings, p.shape[1]))
    np.add.at(out, window_rec, p)
    return out / np.bincount(window_rec, minlength=n_recordings)[:, None]
