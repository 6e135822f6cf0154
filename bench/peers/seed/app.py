"""Seed-style peer: a bare Flask service that models whycry's original seed service.

It is a *timing* peer, not a classifier: the CNN's weights are a seeded random
initialisation (``torch.manual_seed(0)``), so the probabilities it returns mean
nothing. What it costs per request is what the seed's recipe costs: an HTTP download
of the voice note, a librosa decode to 22 050 Hz mono, a 128-band mel spectrogram of
the first 5 s and a forward pass of a 3-block CNN on one torch thread.

    POST /predict  {"url": "http://127.0.0.1:PORT/file.ogg"}
        -> 200 {"probabilities": {"belly_pain": p, ...}, "ms": <server-side ms>}
    GET  /health   -> 200 once the model is loaded and warmed (see READY below)

Served by gunicorn with sync workers (``gunicorn.conf.py``); ``bench/peers/seed.ts``
starts it.
"""

import os

# One thread per worker: OpenMP (torch, and OpenBLAS, which falls back to it) must see
# this before numpy or torch is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import io  # noqa: E402
import time  # noqa: E402

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import requests  # noqa: E402
import soundfile as sf  # noqa: E402
import torch  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402
from torch import nn  # noqa: E402

SAMPLE_RATE = 22_050
SECONDS = 5.0
N_MELS = 128
N_FFT = 2048
HOP = 512
REASONS = ["belly_pain", "burping", "discomfort", "hungry", "tired"]
DOWNLOAD_TIMEOUT_S = 30

torch.set_num_threads(1)


class CryCNN(nn.Module):
    """Three blocks of Conv2d 3x3 -> BatchNorm -> ReLU -> MaxPool 2, global average pool, Linear."""

    def __init__(self, channels=(16, 32, 64), classes=len(REASONS)):
        super().__init__()
        blocks = []
        c_in = 1
        for c_out in channels:
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2)]
            c_in = c_out
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(c_in, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.features(x)), 1))


torch.manual_seed(0)
MODEL = CryCNN().eval()


def log_mel(source) -> np.ndarray:
    """Decodes `source` (a path or a file-like object) and returns the (128, 216) dB mel spectrogram of its first 5 s."""
    y, _ = librosa.load(source, sr=SAMPLE_RATE, mono=True, duration=SECONDS)
    y = librosa.util.fix_length(y, size=int(SAMPLE_RATE * SECONDS))
    mel = librosa.feature.melspectrogram(y=y, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    return librosa.power_to_db(mel, ref=np.max)


def classify(spectrogram: np.ndarray) -> dict:
    x = torch.from_numpy(spectrogram.astype(np.float32))[None, None]
    with torch.inference_mode():
        probs = torch.softmax(MODEL(x), dim=1)[0].tolist()
    return dict(zip(REASONS, probs))


def _check_opus() -> None:
    """Telegram voice notes are OGG/Opus: soundfile >= 0.12 on libsndfile >= 1.1 reads them; fail loudly if this one can't."""
    if "OPUS" not in sf.available_subtypes("OGG"):
        raise RuntimeError(f"libsndfile {sf.__libsndfile_version__} cannot read OGG/Opus; the seed peer needs libsndfile >= 1.1")


def _warm_up() -> None:
    """Pays librosa's lazy imports, numba compilation and torch's first-call costs before /health says ready."""
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    sf.write(buf, (0.1 * rng.standard_normal(48_000 * 6)).astype(np.float32), 48_000, format="OGG", subtype="OPUS")
    for _ in range(2):
        buf.seek(0)
        classify(log_mel(buf))


_check_opus()
if os.environ.get("PEER_WARMUP", "1") != "0":
    _warm_up()

# READY: with PEER_READY_DIR set (the launcher sets it), each loaded worker leaves a file
# there and /health answers 200 only once PEER_WORKERS of them have, so the benchmark does
# not start while a worker is still loading.
READY_DIR = os.environ.get("PEER_READY_DIR")
WORKERS = int(os.environ.get("PEER_WORKERS", "1"))
if READY_DIR:
    with open(os.path.join(READY_DIR, f"worker-{os.getpid()}"), "w") as f:
        f.write("ready\n")

app = Flask(__name__)


@app.get("/health")
def health():
    ready = len(os.listdir(READY_DIR)) if READY_DIR else WORKERS
    if ready < WORKERS:
        return jsonify({"status": "loading", "ready_workers": ready, "workers": WORKERS}), 503
    return jsonify({"status": "ok", "ready_workers": ready, "workers": WORKERS})


@app.post("/predict")
def predict():
    started = time.perf_counter()
    body = request.get_json(silent=True) or {}
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return jsonify({"error": 'expected JSON {"url": "http://..."}'}), 400
    try:
        response = requests.get(url, timeout=DOWNLOAD_TIMEOUT_S)
        response.raise_for_status()
    except requests.RequestException as e:
        return jsonify({"error": f"download failed: {e}"}), 502
    try:
        spectrogram = log_mel(io.BytesIO(response.content))
    except Exception as e:  # noqa: BLE001 - any decode failure is the caller's file
        return jsonify({"error": f"decode failed: {type(e).__name__}: {e}"}), 422
    probabilities = classify(spectrogram)
    return jsonify({"probabilities": probabilities, "ms": (time.perf_counter() - started) * 1000})
