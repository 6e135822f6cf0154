"""Loads what training/dump-reason-features.ts wrote (features are never recomputed here)."""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Windows:
    x: np.ndarray           # [n_windows, dims] float32
    recording: np.ndarray   # [n_windows] recording key (path relative to the donateacry folder)
    copy: np.ndarray        # [n_windows] clean | voice-note | augmented
    set: np.ndarray         # [n_windows] cleaned | raw
    family: np.ndarray      # [n_windows] app-install uuid
    label: np.ndarray       # [n_windows] class index


@dataclass
class Recording:
    key: str
    family: str
    label: int
    set: str
    gate: dict              # verdict and cry score of the voice-note copy, as validate gives them
    seconds: float


def load(cache: Path, labels: list[str]) -> tuple[Windows, list[Recording], dict]:
    rows = [json.loads(line) for line in (cache / "index.jsonl").read_text().splitlines() if line]
    x = np.fromfile(cache / "features.f32", dtype="<f4").reshape(len(rows), -1)
    col = lambda k: np.array([r[k] for r in rows])
    windows = Windows(x=x, recording=col("recording"), copy=col("copy"), set=col("set"), family=col("family"),
                      label=np.array([labels.index(r["label"]) for r in rows]))
    recordings = [json.loads(line) for line in (cache / "recordings.jsonl").read_text().splitlines() if line]
    evaluated = [Recording(key=r["recording"], family=r["family"], label=labels.index(r["label"]), set=r["set"],
                           gate=r["gate"], seconds=r["seconds"])
                 for r in recordings if r["set"] == "cleaned" and r["copy"] == "voice-note"]
    meta = json.loads((cache / "meta.json").read_text())
    return windows, sorted(evaluated, key=lambda r: r.key), meta
