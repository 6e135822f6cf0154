"""The cry gate's fast retraining path (the trainer worker runs it through training/retrain_gate.sh):

    python training/retrain_gate.py --config training/configs/retrain-gate-small.json --datasets DIR \
        --version V --out DIR.partial [--export DIR]... [--withdrawn FILE] [--compare LIVE_MODEL_DIR] [--shuffle-labels] [--seed N]

A configuration names the public sources and how many recordings of each (spread over as many groups
as it can, in the order of the sha256 of their group ids), the sources never to train on, the
features, the network and the threshold rule; `--export` folders add the donated recordings of
whycry exports (source `export`, group = family; `--withdrawn` names families to leave out). Every group of the fixed benchmark (training/configs/gate-benchmark.json)
is left out of training, whatever the configuration says. Then:
- features from the worker's own TypeScript (training/dump-gate-features.ts, two shards, one per core);
- grouped 5-fold cross-validation (a group, family or speaker in one fold only): out-of-fold
  false-reject rate on cries and false-accept rate on non-cries, overall and per source, with 95 %
  Wilson intervals; the threshold is the highest at which the out-of-fold cries are rejected at
  most `max_frr` of the time (all cries pooled), for the configuration's fixed aggregation;
- the final model on every training recording, exported to ONNX and checked against torch;
- the benchmark scored by the candidate and by `--compare` (its own ONNX, aggregation, threshold
  and features, the features again from the TypeScript dump);
- manifest.json, model.onnx, MODEL_CARD.md, report.json and report.md in --out.
Prints `progress {"stage":...,"done":n,"total":m}` lines; exits 2 with one line on stderr when
refused (bad configuration, stale export, missing files), 1 on any other failure; exits by
itself, stopping its feature dumps, when its parent dies.
"""
import argparse
import csv
import ctypes
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from gate_corpus import more_sounds_source
from train_gate import OPSET, SEED, CryDetector, aggregate, fit, load, probs, weights, wilson

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = "training/configs/gate-benchmark.json"
DUMP = "training/dump-gate-features.ts"
EXPORT_FORMAT = "whycry-export"  # evaluation/exports.ts EXPORT_FORMAT
DIGITS_PER_RECORDING = 6  # spoken digits are 0.3-0.8 s each: six of one speaker make one recording
CONFIG_KEYS = {"description", "sources", "exclude_sources", "voice_note", "features", "epochs", "hidden", "folds",
               "max_frr", "aggregation"}
# The entry of training/configs/gate-sources.json (its name) that covers each source, for the licences.
DATA_OF = {
    "donateacry": "Donate-a-cry corpus (cleaned subset)",
    "esc50": "ESC-50 (subset, and crying_baby clips of the full set via vyanev1/baby-cry-detection)",
    "esc50-cry": "ESC-50 (subset, and crying_baby clips of the full set via vyanev1/baby-cry-detection)",
    "audioset-cry": "AudioSet segments (dlzou/smh, and the laughter collection)",
    "audioset-smh": "AudioSet segments (dlzou/smh, and the laughter collection)",
    "audioset-laughter": "AudioSet segments (dlzou/smh, and the laughter collection)",
    "ravdess-speech": "RAVDESS speech and song",
    "ravdess-song": "RAVDESS speech and song",
    "bedtime-a": "Nursery sounds from three public app repositories (bedtime-a, -b, -c)",
    "bedtime-b": "Nursery sounds from three public app repositories (bedtime-a, -b, -c)",
    "bedtime-c": "Nursery sounds from three public app repositories (bedtime-a, -b, -c)",
    "fsdd": "Free Spoken Digit Dataset",
}


class Refused(Exception):
    """A reason to stop that the caller can act on: one line on stderr, exit code 2."""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---- what to hear ----------------------------------------------------------------------------

def public_recordings(datasets: Path) -> list[dict]:
    """Every public recording a retrain may use: key (its dataset-relative path; joined spoken digits
    `<folder>/<speaker>#<n>`), files (dataset-relative, heard one after the other), source, group and
    cry, the sources and groups named as training/gate_corpus.py names them."""
    out = []

    def add(key: str, files: list[str], source: str, group: str, cry: bool):
        out.append({"key": key, "files": files, "source": source, "group": group, "cry": int(cry)})

    cleaned = "donateacry/donateacry_corpus_cleaned_and_updated_data"
    for path in sorted((datasets / cleaned).glob("*/*.wav")):
        rel = path.relative_to(datasets).as_posix()
        add(rel, [rel], "donateacry", f"dac:{path.name[:36].lower()}", True)
    for path in sorted((datasets / "esc50-subset" / "audio").glob("*.wav")):
        rel = path.relative_to(datasets).as_posix()
        cry = path.stem.split("-")[-1] == "20"  # class 20 is crying_baby
        add(rel, [rel], "esc50-cry" if cry else "esc50", f"esc:{path.stem.split('-')[1]}", cry)
    with (datasets / "more-sounds" / "MANIFEST.csv").open() as f:
        for row in csv.DictReader(f):
            cry = row["label"] == "cry"
            source, group = more_sounds_source(row)
            rel = f"more-sounds/{row['path']}"
            add(rel, [rel], source, group, cry)
    by_speaker: dict[str, list[str]] = {}
    for path in (datasets / "free-spoken-digit" / "recordings").glob("*.wav"):
        by_speaker.setdefault(path.stem.split("_")[1], []).append(path.relative_to(datasets).as_posix())
    for speaker, files in sorted(by_speaker.items()):
        files.sort(key=sha)  # digits in a fixed mixed order, whatever the listing order
        for n in range(len(files) // DIGITS_PER_RECORDING):
            add(f"free-spoken-digit/recordings/{speaker}#{n:02d}", files[n * DIGITS_PER_RECORDING:(n + 1) * DIGITS_PER_RECORDING],
                "fsdd", f"fsdd:{speaker}", False)
    return out


def by_group_order(recordings: list[dict]) -> list[dict]:
    """Whole groups together, groups in the order of their id's sha256: a fixed sample, whatever the listing."""
    return sorted(recordings, key=lambda r: (sha(r["group"]), sha(r["key"])))


def spread(recordings: list[dict]) -> list[dict]:
    """One recording of every group (in that order), then a second of every group, and so on: a sample
    of n holds as many groups (families, speakers) as it can."""
    seen: dict[str, int] = {}
    keyed = []
    for r in by_group_order(recordings):
        n = seen[r["group"]] = seen.get(r["group"], -1) + 1
        keyed.append(((n, sha(r["group"])), r))
    return [r for _, r in sorted(keyed, key=lambda kr: kr[0])]


def read_config(path: Path) -> dict:
    config = json.loads(path.read_text())
    unknown = set(config) - CONFIG_KEYS
    missing = CONFIG_KEYS - {"description"} - set(config)
    if unknown or missing:
        raise Refused(f"{path}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    both = set(config["sources"]) & set(config["exclude_sources"])
    if both:
        raise Refused(f"{path}: {sorted(both)} both in sources and in exclude_sources")
    if not 0 < config["max_frr"] < 1 or config["folds"] < 2:
        raise Refused(f"{path}: max_frr must be in (0, 1) and folds at least 2")
    return config


def select_public(catalogue: list[dict], config: dict, benchmark_groups: set[str]) -> list[dict]:
    known = {r["source"] for r in catalogue}
    unknown = set(config["sources"]) - known
    if unknown:
        raise Refused(f"the configuration names sources the datasets do not have: {sorted(unknown)} (known: {sorted(known)})")
    rows = []
    for source, limit in sorted(config["sources"].items()):
        pool = spread([r for r in catalogue if r["source"] == source and r["group"] not in benchmark_groups])
        rows += pool if limit is None else pool[:limit]
    return rows


def read_exports(dirs: list[Path], now: datetime, withdrawn: set[str]) -> tuple[list[str], list[dict]]:
    """Labelled recordings of whycry exports (evaluation/exports.ts): gate/cry and cries/<reason> are
    cries, gate/non-cry non-cries, unlabelled/ is skipped, and so are the `withdrawn` families. A
    recording (its key is the same in every export) in several exports counts once, with its label in the newest."""
    infos = []
    for d in dirs:
        try:
            info = json.loads((d / "export.json").read_text())
        except (OSError, ValueError) as err:
            raise Refused(f"{d}: not a whycry export ({err})") from err
        if info.get("format") != EXPORT_FORMAT:
            raise Refused(f"{d}/export.json is not a whycry export")
        if now >= datetime.fromisoformat(info["refuse_after"].replace("Z", "+00:00")):
            raise Refused(f"{d}: export {info['id']} is past its retention (refused for training since {info['refuse_after']}); export again")
        infos.append((info["exported_at"], info["id"], d))
    rows: dict[str, dict] = {}
    for _, export_id, d in sorted(infos):
        for line in (d / "manifest.jsonl").read_text().splitlines():
            if not line:
                continue
            entry = json.loads(line)
            file = entry["file"]
            if file.startswith(("gate/cry/", "cries/")):
                cry = 1
            elif file.startswith("gate/non-cry/"):
                cry = 0
            else:
                continue
            if entry["family"] in withdrawn:
                continue
            path = d / file
            if not path.is_file():
                raise Refused(f"{path}: listed in {d}/manifest.jsonl but missing")
            rows[entry["recording"]] = {"key": f"export:{export_id}/{file}", "files": [str(path.resolve())], "source": "export",
                                        "group": entry["family"], "cry": cry, "export": export_id}
    return [i for _, i, _ in sorted(infos)], [rows[k] for k in sorted(rows)]


# ---- the TypeScript feature dump ---------------------------------------------------------------

class Children:
    """The feature dumps in flight: stopped when this process stops, and themselves told to stop
    (PR_SET_PDEATHSIG) if it dies without a chance to stop them."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []
        self.prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child after fork only calls it

    def start(self, args: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: self.prctl(1, signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
        self.procs.append(proc)
        return proc

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                p.kill()


def dump(rows: list[dict], config_path: Path, out: Path, children: Children, stage: str = "features"):
    """Features of `rows` (their `id`s index the corpus), in two shards; the shards' progress summed."""
    out.mkdir(parents=True)
    (out / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    procs = [children.start(["node", "--import", "tsx", DUMP, str(out), str(config_path.resolve()), str(out / f"shard{k}"),
                             "--shard", f"{k}/2", "--progress"]) for k in (0, 1)]
    done, lock, last, errors = [0, 0], threading.Lock(), [0.0], [[], []]

    def report(final: bool = False):
        if final or time.time() - last[0] >= 1:
            last[0] = time.time()
            progress(stage, len(rows) if final else sum(done), len(rows))

    def read_out(k: int):
        for line in procs[k].stdout:
            if line.startswith("progress "):
                with lock:
                    done[k] = json.loads(line[len("progress "):])["done"]
                    report()
            else:
                print(f"dump {k}: {line.rstrip()}", flush=True)

    def read_err(k: int):
        for line in procs[k].stderr:
            errors[k].append(line.rstrip())
            print(f"dump {k} (stderr): {line.rstrip()}", flush=True)

    readers = [threading.Thread(target=f, args=(k,)) for k in (0, 1) for f in (read_out, read_err)]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    for k, p in enumerate(procs):
        if p.wait() != 0:
            last_line = next((e for e in reversed(errors[k]) if e.strip()), f"exit code {p.returncode}")
            raise RuntimeError(f"the feature dump failed: {last_line}")
    report(final=True)


def corpus_row(r: dict, datasets: Path, direct: bool) -> dict:
    """A dump row: the first file, the others joined after it, absolute paths."""
    files = [f if os.path.isabs(f) else str(datasets / f) for f in r["files"]]
    for f in files:
        if not os.path.isfile(f):
            raise Refused(f"{f} is missing: is --datasets the folder the benchmark and the configuration were written for?")
    return {**{k: v for k, v in r.items() if k != "files"}, "file": files[0], **({"join": files[1:]} if len(files) > 1 else {}),
            "direct": direct}


# ---- training and evaluation ---------------------------------------------------------------------

def progress(stage: str, done: int, total: int):
    print("progress " + json.dumps({"stage": stage, "done": done, "total": total}, separators=(",", ":")), flush=True)


def window_index(win_ids: np.ndarray) -> dict[int, np.ndarray]:
    idx: dict[int, list[int]] = {}
    for j, i in enumerate(win_ids.tolist()):
        idx.setdefault(i, []).append(j)
    return {i: np.array(v) for i, v in idx.items()}


def assign_folds(recs: dict[int, dict], folds: int, seed: int) -> dict[str, int]:
    """Each group to one fold: largest groups first, each to the fold with the fewest recordings of its
    majority class, so every fold holds cries and non-cries; ties by a seeded hash of the group id."""
    groups: dict[str, list[int]] = {}
    for r in recs.values():
        groups.setdefault(r["group"], [0, 0])[r["cry"]] += 1
    counts = np.zeros((folds, 2), dtype=int)
    fold_of = {}
    for g, n in sorted(groups.items(), key=lambda item: (-sum(item[1]), sha(f"{seed}:{item[0]}"))):
        c = int(n[1] > n[0])
        k = min(range(folds), key=lambda f: (counts[f, c], counts[f].sum(), f))
        fold_of[g] = k
        counts[k] += n
    return fold_of


def rate(k: int, n: int) -> dict | None:
    if n == 0:
        return None
    lo, hi = wilson(k, n)
    return {"value": k / n, "interval": [lo, hi], "n": n, "k": k}


def error_rates(recs: dict[int, dict], scores: dict[int, float], threshold: float) -> dict:
    """False rejects among cries and false accepts among non-cries, overall and per source."""
    def rates(ids):
        cries = [i for i in ids if recs[i]["cry"]]
        non = [i for i in ids if not recs[i]["cry"]]
        return {"frr": rate(sum(scores[i] < threshold for i in cries), len(cries)),
                "far": rate(sum(scores[i] >= threshold for i in non), len(non))}
    sources = sorted({r["source"] for r in recs.values()})
    return {**rates(list(recs)), "bySource": {s: rates([i for i, r in recs.items() if r["source"] == s]) for s in sources}}


def choose_threshold(recs: dict[int, dict], scores: dict[int, float], max_frr: float) -> tuple[float, bool]:
    """The highest threshold (0.01 steps) at which out-of-fold cries are rejected at most `max_frr` of
    the time (all cries pooled: the report's headline rate); 0.01 (and False) when none is."""
    cries = np.array([scores[i] for i, r in recs.items() if r["cry"]])
    for t in np.arange(99, 0, -1) / 100:
        if np.mean(cries < t) <= max_frr:
            return float(t), True
    return 0.01, False


def export_onnx(model: CryDetector, example: np.ndarray, path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.from_numpy(example),), str(path), dynamo=False, input_names=["features"],
                          output_names=["cry_probability"], opset_version=OPSET,
                          dynamic_axes={"features": {0: "windows"}, "cry_probability": {0: "windows"}})
    onnx.checker.check_model(onnx.load(str(path)))


class Detector:
    """A cry detector as the worker runs it: its ONNX session, aggregation and threshold (manifest fields)."""

    def __init__(self, model: bytes, manifest: dict):
        self.manifest = manifest
        self.session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        how = manifest["aggregation"]
        self.how = {"kind": how} if isinstance(how, str) else how  # the older manifests' bare string

    @classmethod
    def load(cls, folder: Path) -> "Detector":
        """A model folder, its file checked against the manifest's sha256 as the worker checks it."""
        manifest = json.loads((folder / "manifest.json").read_text())
        model = (folder / manifest["file"]).read_bytes()
        if hashlib.sha256(model).hexdigest() != manifest["sha256"]:
            raise Refused(f"{folder / manifest['file']} differs from its manifest's sha256")
        return cls(model, manifest)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return self.session.run([self.manifest["output"]["name"]], {self.manifest["input"]["name"]: x})[0]

    def is_cry(self, x: np.ndarray, windows: dict[int, np.ndarray]) -> tuple[dict[int, float], dict[int, bool]]:
        """Each recording's score (its windows' rows of `x` aggregated) and verdict."""
        p = self.probabilities(x)
        scores = {i: aggregate(p[j], self.how) for i, j in windows.items()}
        return scores, {i: s >= self.manifest["threshold"] for i, s in scores.items()}


def git_commit() -> dict:
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    head = git("rev-parse", "HEAD")
    return {"commit": head.stdout.strip() if head.returncode == 0 else None,
            "dirty": git("diff", "--quiet", "HEAD").returncode != 0 if head.returncode == 0 else None}


# ---- the run ------------------------------------------------------------------------------------

def run(args: argparse.Namespace, children: Children):
    torch.set_num_threads(1)
    config = read_config(args.config)
    live = Detector.load(args.compare) if args.compare else None
    benchmark = json.loads((ROOT / BENCHMARK).read_text())["recordings"]
    benchmark_groups = {b["group"] for b in benchmark}
    if any(b["source"] in config["exclude_sources"] for b in benchmark):
        raise Refused(f"{BENCHMARK} holds recordings of a source the configuration excludes")
    catalogue = public_recordings(args.datasets)
    public = select_public(catalogue, config, benchmark_groups)
    withdrawn = set(args.withdrawn.read_text().split()) if args.withdrawn else set()
    export_ids, exported = read_exports(args.export, datetime.now(timezone.utc), withdrawn)
    skipped = [r for r in exported if r["group"] in benchmark_groups]  # never, with HMAC families; enforced all the same
    train_rows = [corpus_row(r, args.datasets, not config["voice_note"]) for r in public] + \
                 [corpus_row(r, args.datasets, True) for r in exported if r["group"] not in benchmark_groups]
    if args.shuffle_labels:
        labels = np.random.default_rng(args.seed).permutation([r["cry"] for r in train_rows])
        train_rows = [{**r, "cry": int(c), "trueCry": r["cry"]} for r, c in zip(train_rows, labels)]
    bench_rows = [corpus_row({"key": b["id"], "files": b["files"], "source": b["source"], "group": b["group"],
                              "cry": int(b["kind"] == "cry")}, args.datasets, True) for b in benchmark]
    rows = [{"id": n, "set": s, **r} for n, (s, r) in enumerate([("train", r) for r in train_rows] + [("benchmark", r) for r in bench_rows])]
    cries = sum(r["cry"] for r in train_rows)
    if cries == 0 or cries == len(train_rows):
        raise Refused("the training recordings are all of one kind: nothing to learn")
    print(f"{len(train_rows)} training recordings ({cries} cries), {len(bench_rows)} benchmark recordings"
          f"{f', {len(skipped)} export recordings skipped (benchmark groups)' if skipped else ''}", flush=True)

    work = args.out / ".work"
    dump(rows, args.config, work / "features", children)
    x, win_ids, recs = load(work / "features")
    windows = window_index(win_ids)
    train = {i: r for i, r in recs.items() if r["set"] == "train"}
    bench = {i: r for i, r in recs.items() if r["set"] == "benchmark"}
    if live and live.manifest["features"] != config["features"]:
        # The live model hears other features (cry-gate-v1's 1 s hop): the benchmark dumped again with its own.
        dump([r for r in rows if r["set"] == "benchmark"], args.compare / "manifest.json", work / "live-features", children, "evaluate")
        live_x, live_ids, _ = load(work / "live-features")
        live_windows = window_index(live_ids)
    elif live:
        live_x, live_windows = x, windows

    # Grouped cross-validation: out-of-fold window probabilities of every training recording.
    epochs, hidden, folds = config["epochs"], config["hidden"], config["folds"]
    y = np.array([recs[i]["cry"] for i in win_ids.tolist()], dtype=np.int64)
    fold_of = assign_folds(train, folds, args.seed)
    is_train = np.array([recs[i]["set"] == "train" for i in win_ids.tolist()])
    fold = np.array([fold_of[recs[i]["group"]] if recs[i]["set"] == "train" else -1 for i in win_ids.tolist()])
    oof = {}
    for k in range(folds):
        progress("train", k, folds + 1)
        tr = is_train & (fold != k)
        model = fit(x[tr], y[tr], weights(recs, win_ids[tr]), epochs, hidden, args.seed + 1 + k)
        for i in (i for i, r in train.items() if fold_of[r["group"]] == k):
            oof[i] = aggregate(probs(model, x[windows[i]]), config["aggregation"])
    threshold, target_met = choose_threshold(train, oof, config["max_frr"])
    cv = {"folds": folds, "threshold": threshold, "targetMet": target_met, **error_rates(train, oof, threshold)}
    print(f"threshold {threshold:.2f} (target met: {target_met}); out-of-fold FRR {cv['frr']['value']:.3f}, "
          f"FAR {cv['far']['value'] if cv['far'] else float('nan'):.3f}", flush=True)

    # The final model: every training recording.
    progress("train", folds, folds + 1)
    model = fit(x[is_train], y[is_train], weights(recs, win_ids[is_train]), epochs, hidden, args.seed)
    progress("train", folds + 1, folds + 1)
    progress("export", 0, 1)
    onnx_path = args.out / "model.onnx"
    export_onnx(model, x[:2], onnx_path)
    candidate = Detector(onnx_path.read_bytes(), {"version": args.version, "input": {"name": "features"}, "output": {"name": "cry_probability"},
                                                  "aggregation": config["aggregation"], "threshold": threshold})
    parity = float(np.abs(candidate.probabilities(x) - probs(model, x)).max())
    if parity >= 1e-5:
        raise RuntimeError(f"the ONNX export differs from torch by {parity}")
    progress("export", 1, 1)

    # The fixed benchmark, candidate and live model on the same recordings.
    progress("evaluate", 0, 1)
    judged = candidate.is_cry(x, {i: windows[i] for i in bench})
    live_judged = live.is_cry(live_x, {i: live_windows[i] for i in bench}) if live else None
    bench_report = benchmark_report(bench, args.version, judged, live.manifest["version"] if live else None, live_judged)
    progress("evaluate", 1, 1)

    data = onnx_path.read_bytes()
    trained = list(train.values())
    by_source = {}
    for r in trained:
        s = by_source.setdefault(r["source"], {"cries": 0, "nonCries": 0, "groups": set()})
        s["cries" if r.get("trueCry", r["cry"]) else "nonCries"] += 1
        s["groups"].add(r["group"])
    by_source = {s: {**v, "groups": len(v["groups"])} for s, v in sorted(by_source.items())}
    recordings = {"cries": sum(v["cries"] for v in by_source.values()), "nonCries": sum(v["nonCries"] for v in by_source.values()),
                  "bySource": by_source}
    families = sorted({r["group"] for r in trained if r["source"] == "export"})
    sources_used = set(by_source)
    catalogue_data = json.loads((ROOT / "training/configs/gate-sources.json").read_text())
    data_entries = [{**e, "sources": {s: by_source[s]["cries"] + by_source[s]["nonCries"] for s in sorted(sources_used) if DATA_OF.get(s) == e["name"]}}
                    for e in catalogue_data if any(DATA_OF.get(s) == e["name"] for s in sources_used)]
    if export_ids:
        data_entries.append({"name": "whycry exports (voice notes donated by parents who opted in)", "source": ", ".join(export_ids),
                             "license": "donated by parents for training, used within its retention only; families withdrawn since (--withdrawn) left out",
                             "sources": {"export": by_source.get("export", {}).get("cries", 0) + by_source.get("export", {}).get("nonCries", 0)}})
    hearing = ("public recordings heard through the Telegram Opus voice-note round trip" if config["voice_note"]
               else "public recordings decoded directly at 8 kHz by audio/decode.ts, without the Opus voice-note round trip")
    manifest = {
        "version": args.version,
        "kind": "cry-detector",
        "createdAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "file": "model.onnx",
        "sha256": hashlib.sha256(data).hexdigest(),
        "input": {"name": "features", "shape": [-1, int(x.shape[1])]},
        "output": {"name": "cry_probability"},
        "features": config["features"],
        "aggregation": config["aggregation"],
        "threshold": threshold,
        "training": {
            "recipe": "cry-gate-retrain", "config": str(args.config_name), "command": args.command, **git_commit(),
            "seed": args.seed, "epochs": epochs, "hidden": hidden, "torch": torch.__version__.split("+")[0],
            "shuffledLabels": args.shuffle_labels, "hearing": hearing,
            "exports": export_ids, "families": families, "recordings": recordings,
            "excludedSources": config["exclude_sources"], "benchmarkGroupsExcluded": len(benchmark_groups),
            "data": data_entries,
        },
        "metrics": {
            "evaluation": f"grouped {folds}-fold cross-validation over the training recordings (a family, speaker, actor, video or clip in one fold), "
                          f"threshold chosen on the same out-of-fold scores; and the fixed benchmark {BENCHMARK} (groups never trained on)",
            "maxFalseRejectTarget": config["max_frr"],
            "cv": cv,
            "benchmark": {k: v for k, v in bench_report.items() if k != "recordings"},
            "modelBytes": len(data),
        },
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    report = {"version": args.version, "config": str(args.config_name), "seconds": round(time.time() - args.started_at, 1),
              "recordings": {"cries": recordings["cries"], "nonCries": recordings["nonCries"]},
              "families": len({r["group"] for r in trained}), "shuffledLabels": args.shuffle_labels, "cv": cv, "benchmark": bench_report}
    (args.out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (args.out / "report.md").write_text(report_md(report, manifest))
    (args.out / "MODEL_CARD.md").write_text(model_card(manifest, report))
    print(f"wrote {args.out} ({report['seconds']:.0f} s)", flush=True)


def benchmark_report(bench: dict[int, dict], version: str, judged: tuple[dict, dict], live_version: str | None,
                     live_judged: tuple[dict, dict] | None) -> dict:
    """The contract's benchmark block: counts of errors per model, and every recording's verdicts."""
    def summary(v: str, is_cry: dict[int, bool]) -> dict:
        cries = [i for i, r in bench.items() if r["cry"]]
        non = [i for i, r in bench.items() if not r["cry"]]
        fr, fa = sum(not is_cry[i] for i in cries), sum(is_cry[i] for i in non)
        by_source = {}
        for s in sorted({r["source"] for r in bench.values()}):
            ids = [i for i, r in bench.items() if r["source"] == s]
            wrong = sum(is_cry[i] != bool(bench[i]["cry"]) for i in ids)
            by_source[s] = {"kind": "cry" if bench[ids[0]]["cry"] else "non-cry", "n": len(ids), "wrong": wrong}
        return {"version": v, "falseRejects": fr, "falseAccepts": fa, "frr": rate(fr, len(cries)), "far": rate(fa, len(non)),
                "bySource": by_source}
    cand, cand_cry = judged
    live_scores, live_cry = live_judged or (None, None)
    return {
        "set": BENCHMARK, "cries": sum(r["cry"] for r in bench.values()), "nonCries": sum(not r["cry"] for r in bench.values()),
        "candidate": summary(version, cand_cry),
        "live": summary(live_version, live_cry) if live_cry else None,
        "recordings": [{"id": r["key"], "source": r["source"], "group": r["group"], "kind": "cry" if r["cry"] else "non-cry",
                        "candidate": cand_cry[i], "live": live_cry[i] if live_cry else None,
                        "score": round(cand[i], 4), "liveScore": round(live_scores[i], 4) if live_scores else None}
                       for i, r in sorted(bench.items())],
    }


def pct(r: dict | None) -> str:
    return "–" if r is None else f"{100 * r['value']:.1f} % [{100 * r['interval'][0]:.1f}–{100 * r['interval'][1]:.1f}] ({r['k']}/{r['n']})"


def report_md(report: dict, manifest: dict) -> str:
    cv, b = report["cv"], report["benchmark"]
    live = b["live"]
    t = manifest["training"]
    lines = [
        f"# Cry gate {report['version']}: retraining report", "",
        *(["**Labels shuffled** (`--shuffle-labels`): a control run, whose numbers should be near chance. Never promote it.", ""]
          if report["shuffledLabels"] else []),
        f"`{t['command']}` (config `{report['config']}`, commit {t['commit']}{' with local changes' if t['dirty'] else ''}), "
        f"{report['seconds']:.0f} s. {report['recordings']['cries']} cries and {report['recordings']['nonCries']} non-cries "
        f"from {report['families']} groups; exports: {', '.join(t['exports']) or 'none'}; {t['hearing']}.", "",
        f"## Grouped {cv['folds']}-fold cross-validation (out of fold)", "",
        f"Aggregation {json.dumps(manifest['aggregation'])}; threshold **{cv['threshold']:.2f}**, the highest at which out-of-fold cries "
        f"are rejected at most {100 * manifest['metrics']['maxFalseRejectTarget']:.0f} % of the time (all cries pooled)"
        f"{'' if cv['targetMet'] else ': **no threshold meets it**, the lowest (0.01) is used'}. The threshold is chosen on these same "
        "scores, so the false-reject rate is optimistic; the benchmark below is not.", "",
        f"- false rejects (cries): {pct(cv['frr'])}", f"- false accepts (non-cries): {pct(cv['far'])}", "",
        "| source | false rejects of cries | false accepts of non-cries |", "| --- | --- | --- |",
        *[f"| {s} | {pct(v['frr'])} | {pct(v['far'])} |" for s, v in cv["bySource"].items()], "",
        f"## Fixed benchmark (`{b['set']}`: {b['cries']} cries, {b['nonCries']} non-cries, groups never in a retrain's training data)", "",
        "Decoded directly at 8 kHz as `validate` decodes a file, features by the worker's code; each model with its own features, "
        "aggregation and threshold, judged as a detector (the simple checks before it are not applied). "
        "The shipped models (cry-gate-v1, -v2) were trained on these datasets before the benchmark existed: their column may be in-sample.", "",
        f"| | {b['candidate']['version']} (candidate) | {live['version'] + ' (live)' if live else 'live: not compared'} |", "| --- | --- | --- |",
        f"| false rejects (cries) | {pct(b['candidate']['frr'])} | {pct(live['frr']) if live else '–'} |",
        f"| false accepts (non-cries) | {pct(b['candidate']['far'])} | {pct(live['far']) if live else '–'} |",
        *[f"| {s} ({v['kind']}, {v['n']}) wrong | {v['wrong']} | {live['bySource'][s]['wrong'] if live else '–'} |"
          for s, v in b["candidate"]["bySource"].items()], "",
    ]
    return "\n".join(lines)


def model_card(manifest: dict, report: dict) -> str:
    t, cv, b = manifest["training"], report["cv"], report["benchmark"]
    rows = [f"| {s} | {v['cries']} | {v['nonCries']} | {v['groups']} |" for s, v in t["recordings"]["bySource"].items()]
    return "\n".join([
        f"# Model card: whycry cry detector `{manifest['version']}` (quality gate, retrained)", "",
        *(["**Trained on shuffled labels (`--shuffle-labels`)**: a control that shows what chance looks like. Not a model to serve.", ""]
          if t["shuffledLabels"] else []),
        "Retrained by the fast path, `training/retrain_gate.sh` (the trainer worker runs it), not by the full recipe "
        "(`training/train_gate.sh`: voice-note-length compositions, augmentation, leave-one-source-out). "
        f"The features (audio/gate-features.ts) and network of the shipped gate recipe, hidden width {t['hidden']}, {t['epochs']} epochs, seed {t['seed']}; "
        f"aggregation {json.dumps(manifest['aggregation'])} fixed by the configuration `{t['config']}`, threshold "
        f"{manifest['threshold']:.2f} chosen on out-of-fold scores.", "",
        "## Data", "",
        f"- {t['hearing'][0].upper()}{t['hearing'][1:]}" + (" (faster; the bot hears Opus voice notes, whose codec this training does not see)." if "directly" in t["hearing"] else "."),
        "  Public clips are heard at their own length (3–10 s; spoken digits six at a time), not composed into voice notes, and not augmented.",
        f"- Exports: {', '.join(t['exports'])} ({len(t['families'])} families), voice notes as parents sent them, decoded by audio/decode.ts."
        if t["exports"] else "- Exports: none.",
        f"- Never trained on: the sources {', '.join(t['excludedSources']) or 'none'}, and the {t['benchmarkGroupsExcluded']} groups of `{b['set']}`.", "",
        "| source | cries | non-cries | groups |", "| --- | --- | --- | --- |", *rows, "",
        "Licences (every source used):", "",
        *[f"- {e['name']} ({e['source']}): {e['license']}" for e in t["data"]], "",
        "## Numbers", "",
        f"- Grouped {cv['folds']}-fold cross-validation, out of fold: cries rejected {pct(cv['frr'])}, non-cries accepted {pct(cv['far'])} "
        "(threshold chosen on the same scores: optimistic).",
        f"- Benchmark: cries rejected {pct(b['candidate']['frr'])}, non-cries accepted {pct(b['candidate']['far'])}"
        + (f"; live `{b['live']['version']}` {pct(b['live']['frr'])} and {pct(b['live']['far'])}." if b["live"] else "."),
        "- Details: report.md and report.json beside this card.", "",
        "## Limitations", "",
        "- Small data and no augmentation: phones, rooms and noise it has not heard are judged less well than by the shipped gate's recipe (training/train_gate.sh).",
        "- The benchmark is public data decoded directly, not parents' voice notes; the shadow comparison on live traffic decides.",
        "- Non-commercial and research-only licences among the sources (above): record them wherever this model ships.", "",
    ])


def die_with_parent(children: Children):
    """The trainer worker (or retrain_gate.sh) gone, nobody waits for the result: stop."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        print("retrain_gate.py: parent process gone, stopping", file=sys.stderr, flush=True)
        children.stop()
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("--datasets", type=Path, required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--out", type=Path, required=True, help="an empty folder (retrain_gate.sh's <dir>.partial)")
    ap.add_argument("--export", type=Path, action="append", default=[])
    ap.add_argument("--withdrawn", type=Path, help="families withdrawn since the exports (one a line: evaluation/exports.ts checkExport)")
    ap.add_argument("--compare", type=Path, help="the live model's folder")
    ap.add_argument("--shuffle-labels", action="store_true")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--command", default="python training/retrain_gate.py", help="the command line, for the manifest")
    ap.add_argument("--started-at", type=float, default=time.time())
    args = ap.parse_args()
    # The configuration as the repository names it, when it is one of the repository's.
    args.config_name = args.config.resolve().relative_to(ROOT) if args.config.resolve().is_relative_to(ROOT) else args.config
    children = Children()
    die_with_parent(children)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        run(args, children)
    except Refused as err:
        print(f"retrain_gate.py: {err}", file=sys.stderr)
        sys.exit(2)
    except Exception as err:  # the trace for the log, one line for the caller
        traceback.print_exc(file=sys.stdout)
        print(f"retrain_gate.py: {type(err).__name__}: {err}".splitlines()[0], file=sys.stderr)
        sys.exit(1)
    finally:
        children.stop()
        shutil.rmtree(args.out / ".work", ignore_errors=True)


if __name__ == "__main__":
    main()
