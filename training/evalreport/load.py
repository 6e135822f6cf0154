"""Reads predictions.jsonl: one line per recording, the contract of evaluation/prediction.ts."""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REQUIRED = ("recording", "family", "label", "source", "kind", "gate", "probabilities", "notSure", "model", "seconds")


@dataclass
class Predictions:
    name: str            # how the report names this model
    path: Path
    shown: str           # the path as the report prints it
    rows: list[dict]     # every line, as read
    labels: list[str]    # the model's labels, in its own order
    by_stem: bool        # whether recordings are matched across files by file stem (else by their path)

    def scored(self) -> "Scored":
        """The recordings the reason model is judged on: cries the gate passed, with a label the model knows."""
        keep = [r for r in self.rows if r["kind"] == "cry" and r["gate"]["verdict"] == "ok"
                and r["probabilities"] is not None and r["label"] in self.labels]
        return Scored(
            keys=[join_key(r, self.by_stem) for r in keep],
            y=np.array([self.labels.index(r["label"]) for r in keep], dtype=int),
            probs=np.array([[r["probabilities"][c] for c in self.labels] for r in keep], dtype=float).reshape(len(keep), len(self.labels)),
            families=np.array([r["family"] for r in keep]),
            not_sure=np.array([r["notSure"] for r in keep], dtype=object),
        )


@dataclass
class Scored:
    keys: list[str]
    y: np.ndarray          # [n] true class index
    probs: np.ndarray      # [n, k] probabilities as shipped
    families: np.ndarray   # [n] family id (resampling unit)
    not_sure: np.ndarray   # [n] the model's own "not sure" flag (None when the file has none)


def join_key(row: dict, by_stem: bool) -> str:
    """Recordings are matched across files by file name without folder or extension when those are unique
    (Donate-a-cry names are: uuid + timestamp), since another tool may name them relative to another root
    or in another format; otherwise by the path as written."""
    return Path(row["recording"]).stem if by_stem else row["recording"]


def read(path: Path, names_taken: set[str]) -> Predictions:
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        missing = [key for key in REQUIRED if key not in row]
        if missing:
            raise ValueError(f"{path}:{n}: missing {', '.join(missing)}")
        if row["kind"] not in ("cry", "non-cry"):
            raise ValueError(f"{path}:{n}: kind must be cry or non-cry, not {row['kind']!r}")
        rows.append(row)
    with_probs = [r["probabilities"] for r in rows if r["probabilities"]]
    if not with_probs:
        raise ValueError(f"{path}: no line has probabilities, so there is no model to judge")
    labels = list(with_probs[0])
    if any(list(p) != labels and set(p) != set(labels) for p in with_probs):
        raise ValueError(f"{path}: lines disagree on the model's labels")
    by_stem = len({join_key(r, True) for r in rows}) == len(rows)
    versions = sorted({r["model"] for r in rows})
    name = " + ".join(versions)
    if name in names_taken:  # e.g. one model's own evaluation beside its out-of-fold predictions
        name = f"{name} ({path.stem})"
    names_taken.add(name)
    return Predictions(name=name, path=path, shown=shown(path), rows=rows, labels=labels, by_stem=by_stem)


def shown(path: Path) -> str:
    """Relative to the project root when inside it (reports name no home or temp folders), else the file name."""
    try:
        return str(path.resolve().relative_to(Path(__file__).resolve().parents[2]))
    except ValueError:
        return path.name
