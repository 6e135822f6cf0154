"""Builds the cry gate's training and evaluation corpus: voice-note-length recordings (3–60 s)
composed from the datasets, augmented positives and negatives, synthetic speech, mixes.

    python training/gate_corpus.py --datasets ../shared/datasets --out training/cache/gate-corpus

Writes `<out>/audio/<n>.wav` (8 kHz mono 16-bit) and `<out>/corpus.jsonl`, one row per recording:
  id, file, source (the LOSO unit it is tested in), sources (every source whose audio is in it: a
  fold that holds a source out trains on no recording that contains it), group, cry, kind
  (plain | long | short | clipped | aug), aug (the augmentation family of an `aug` row), seconds.
Only `plain`, `long`, `short` and `clipped` rows are ever scored in a held-out fold; `aug` rows are
training material. The Telegram Opus round trip and the features are the TypeScript dump's job
(training/dump-gate-features.ts), so that every recording is heard as the bot hears it.
"""
import argparse
import csv
import json
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from scipy.signal import fftconvolve

RATE = 8000
SEED = 2015

# ESC-50 classes that sound the same for seconds on end: backgrounds for noise augmentation.
CONTINUOUS = {"vacuum_cleaner", "washing_machine", "rain", "engine", "airplane", "wind", "sea_waves",
              "crackling_fire", "pouring_water", "water_drops", "train", "hand_saw", "clock_tick"}

# What a parent may say near the phone, in both languages the bot speaks; espeak-ng also reads the
# numbers in the voice's own language ("a grown-up reading numbers").
SENTENCES = {
    "en": ["Okay sweetheart, it's all right, mummy is here.", "Can you pass me the bottle, it's on the table.",
           "I think he is just tired, let's try the swing again.", "What time did she last eat? Around two?",
           "Hello? Yes, I'm recording it now, hold on a second.", "The weather tomorrow will be cloudy with light rain.",
           "Turn left at the next junction and continue for three miles.", "Did you remember to buy more nappies?",
           "Once upon a time there was a little bear who could not sleep.", "Shh, shh, shh, there we go, good girl."],
    "ru": ["Тише, тише, мама здесь, всё хорошо.", "Подай мне бутылочку, она на столе.",
           "Наверное, он просто устал, давай ещё раз покачаем.", "Когда она ела в последний раз? Около двух?",
           "Алло? Да, я сейчас записываю, подожди секунду.", "Завтра облачно, небольшой дождь, до пяти градусов.",
           "Через триста метров поверните налево.", "Ты не забыл купить подгузники?",
           "Жил-был маленький медвежонок, который никак не мог уснуть.", "Баю-баюшки-баю, не ложися на краю."],
}
VOICES = {"en": ["en-us", "en-gb", "en-us+f2", "en-gb+f3", "en-us+m3", "en+f4", "en-us+m7", "en-gb-x-rp+f1"],
          "ru": ["ru", "ru+f2", "ru+f3", "ru+m3", "ru+f4", "ru+m7"]}


class Corpus:
    def __init__(self, out: Path, ffmpeg: str, rng: random.Random):
        self.out, self.ffmpeg, self.rng = out, ffmpeg, rng
        (out / "audio").mkdir(parents=True, exist_ok=True)
        self.rows = []
        self.scratch = Path(tempfile.mkdtemp(prefix="whycry-corpus-"))

    def decode(self, path: Path) -> np.ndarray:
        raw = subprocess.run([self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path),
                              "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"], check=True, capture_output=True).stdout
        return np.frombuffer(raw, dtype="<f4").copy()

    def add(self, samples: np.ndarray, source: str, group: str, cry: int, kind: str, sources=None, aug=None, **extra):
        n = len(self.rows)
        file = f"audio/{n:05d}.wav"
        pcm = np.clip(np.nan_to_num(samples), -1, 1)
        wavfile.write(self.out / file, RATE, (pcm * 32767).astype(np.int16))
        self.rows.append({"id": n, "file": file, "source": source, "sources": sorted(set(sources or [source])),
                          "group": group, "cry": cry, "kind": kind, "aug": aug,
                          "seconds": round(len(samples) / RATE, 2), **extra})

    # --- augmentations: what differs between phones and rooms -------------------------------
    def reverb(self, x: np.ndarray) -> np.ndarray:
        """A room: exponentially decaying noise tail (RT60 0.2–0.9 s) after the direct sound."""
        rt60 = self.rng.uniform(0.2, 0.9)
        n = int(rt60 * RATE)
        t = np.arange(n) / RATE
        tail = np.random.default_rng(self.rng.randrange(1 << 30)).standard_normal(n) * np.exp(-6.9 * t / rt60)
        ir = tail * self.rng.uniform(0.05, 0.3)
        ir[0] = 1.0
        y = fftconvolve(x, ir)[: len(x)]
        return y * (rms(x) / max(rms(y), 1e-9))

    def phone(self, x: np.ndarray, codec: bool, eq: bool) -> np.ndarray:
        """A phone's microphone EQ and automatic gain, and/or a phone or messenger codec."""
        filters = []
        if eq:
            filters += [f"highpass=f={self.rng.randint(100, 400)}", f"lowpass=f={self.rng.randint(2800, 3900)}",
                        f"equalizer=f={self.rng.randint(500, 3000)}:t=q:w=1:g={self.rng.uniform(-8, 8):.1f}",
                        "dynaudnorm=f=150:g=15:m=20"]
        spec = self.rng.choice([("amr", "libopencore_amrnb", 8000, ["4.75k", "7.95k", "12.2k"]),
                                ("adts", "aac", 16000, ["16k", "24k", "32k"]),
                                ("mp3", "libmp3lame", 16000, ["24k", "32k", "64k"]),
                                ("ogg", "libopus", 16000, ["12k", "24k", "64k"])]) if codec else None
        src = self.scratch / "in.wav"
        wavfile.write(src, RATE, np.clip(x, -1, 1).astype(np.float32))
        args = [self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src)]
        if filters:
            args += ["-af", ",".join(filters)]
        if spec:
            fmt, encoder, rate, rates = spec
            coded = self.scratch / f"coded.{fmt}"
            subprocess.run(args + ["-ar", str(rate), "-ac", "1", "-c:a", encoder, "-b:a", self.rng.choice(rates),
                                   "-f", fmt, str(coded)], check=True)
            return self.decode(coded)
        out = self.scratch / "eq.wav"
        subprocess.run(args + ["-c:a", "pcm_f32le", str(out)], check=True)
        return self.decode(out)

    def noisy(self, x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
        noise = loop_to(noise, len(x), self.rng)
        return x + noise * (rms(x) / max(rms(noise), 1e-9)) / (10 ** (snr_db / 20))

    def clip(self, x: np.ndarray, gain_db: float) -> np.ndarray:
        """A phone's limiter giving up on a screaming baby: gain, then hard clipping at full scale."""
        y = x / max(np.abs(x).max(), 1e-9) * 10 ** (gain_db / 20)
        return np.clip(y, -1, 1)

    def espeak(self, text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
        path = self.scratch / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(path), text], check=True)
        return self.decode(path)


def more_sounds_source(row: dict) -> tuple:
    """A more-sounds/MANIFEST.csv row's source and group, as every split of the gate keeps them."""
    folder, cry = row["path"].split("/")[0], row["label"] == "cry"
    if folder == "esc50-extra-cries":  # other takes of ESC-50 recordings: the subset's group ids
        return "esc50-cry", "esc:" + row["group"].split(":")[-1]
    if folder.startswith("audioset"):
        return ("audioset-cry" if cry else folder), row["group"]
    if folder.startswith("bedtime"):
        return folder, f"{folder}:{row['group']}"
    return folder, row["group"]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0


def loop_to(x: np.ndarray, n: int, rng: random.Random) -> np.ndarray:
    reps = int(np.ceil(n / max(1, len(x)))) + 1
    y = np.tile(x, reps)
    start = rng.randrange(max(1, len(y) - n))
    return y[start:start + n]


def concat(parts, gap_s: float = 0.0) -> np.ndarray:
    gap = np.zeros(int(gap_s * RATE), dtype=np.float32)
    out = []
    for p in parts:
        out += [p, gap]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def voice_note_length(rng: random.Random, low: float = 3, high: float = 60) -> float:
    """Log-uniform over what parents send: many short notes, some long."""
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def fill(pieces, seconds: float, rng: random.Random, gap_s: float) -> np.ndarray:
    """Pieces (in order, looping if needed) joined until `seconds`, cut there."""
    out, total, k = [], 0, rng.randrange(len(pieces))
    while total < seconds * RATE:
        p = pieces[k % len(pieces)]
        out.append(p)
        total += len(p) + int(gap_s * RATE)
        k += 1
    return concat(out, gap_s)[: int(seconds * RATE)]


def loudest(x: np.ndarray, seconds: float) -> np.ndarray:
    """The `seconds` of `x` with the most energy: a short, loud cry."""
    n = int(seconds * RATE)
    if len(x) <= n:
        return x
    energy = np.convolve(np.square(x), np.ones(n), mode="valid")
    start = int(np.argmax(energy))
    return x[start:start + n]


def tone(rng: random.Random, kind: int, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    f = float(np.exp(rng.uniform(np.log(100), np.log(3800))))
    if kind == 0:  # a steady tone, alone or with harmonics (a hum, a drone, a fridge)
        x = sum(np.sin(2 * np.pi * f * h * t) / h for h in range(1, rng.randint(1, 5) + 1) if f * h < RATE / 2)
    elif kind == 1:  # beeping: a tone switched on and off
        period, duty = rng.uniform(0.2, 2), rng.uniform(0.2, 0.8)
        x = np.sin(2 * np.pi * f * t) * ((t % period) < duty * period)
    elif kind == 2:  # a siren or an alarm sweeping between two pitches
        lo, hi, rate = rng.uniform(300, 900), rng.uniform(900, 2500), rng.uniform(0.2, 2)
        inst = lo + (hi - lo) * (0.5 + 0.5 * np.sin(2 * np.pi * rate * t))
        x = np.sin(2 * np.pi * np.cumsum(inst) / RATE)
    else:  # two tones at once, steady (a dial tone, a ringing phone)
        x = np.sin(2 * np.pi * f * t) + np.sin(2 * np.pi * f * rng.uniform(1.1, 1.6) * t)
    return (x / max(np.abs(x).max(), 1e-9) * rng.uniform(0.05, 0.8)).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--ffmpeg", required=True)
    args = ap.parse_args()
    rng = random.Random(SEED)
    np.random.seed(SEED)
    if args.out.exists():
        shutil.rmtree(args.out)
    c = Corpus(args.out, args.ffmpeg, rng)
    d = args.datasets

    # ---- pieces of every source: (source, group, cry, samples) ----
    pieces = []
    cleaned = d / "donateacry" / "donateacry_corpus_cleaned_and_updated_data"
    for path in sorted(cleaned.glob("*/*.wav")):
        pieces.append(("donateacry", f"dac:{path.name[:36].lower()}", 1, c.decode(path), path.parent.name))
    esc_class = {}
    with (d / "esc50-subset" / "esc50.csv").open() as f:
        for row in csv.DictReader(f):
            esc_class[row["filename"]] = row["category"]
    for path in sorted((d / "esc50-subset" / "audio").glob("*.wav")):
        clip_id, cls = path.stem.split("-")[1], int(path.stem.split("-")[-1])
        cry = cls == 20
        pieces.append(("esc50-cry" if cry else "esc50", f"esc:{clip_id}", int(cry), c.decode(path), esc_class.get(path.name, "?")))
    with (d / "more-sounds" / "MANIFEST.csv").open() as f:
        manifest = list(csv.DictReader(f))
    for row in manifest:
        folder = row["path"].split("/")[0]
        cry = int(row["label"] == "cry")
        source, group = more_sounds_source(row)
        pieces.append((source, group, cry, c.decode(d / "more-sounds" / row["path"]), row["source_label"]))
    digits = sorted((d / "free-spoken-digit" / "recordings").glob("*.wav"))
    by_speaker = {}
    for path in digits:
        by_speaker.setdefault(path.stem.split("_")[1], []).append(c.decode(path))

    by_source = {}
    for p in pieces:
        by_source.setdefault(p[0], []).append(p)
    noises = [(p[0], p[3]) for p in pieces if p[0] == "esc50" and p[4] in CONTINUOUS] + \
             [(p[0], p[3]) for p in pieces if p[0].startswith("bedtime") and "noise" in p[1].lower()]
    music = [(p[0], p[3]) for p in pieces if p[0].startswith("bedtime")] + \
            [(p[0], p[3]) for p in pieces if p[0] == "audioset-smh" and "Music" in p[4]]

    def augment(x, source, group, cry, family):
        """One augmentation family per copy, so that the held-out numbers can tell which helps."""
        sources = [source]
        if family == "reverb":
            y = c.reverb(x) * 10 ** (rng.uniform(-12, 0) / 20)  # a room, and the phone further away
        elif family == "eq-agc":
            y = c.phone(x, codec=False, eq=True)
        elif family == "codec":
            y = c.phone(x, codec=True, eq=False)
        elif family == "noise":
            ns, noise = rng.choice(noises)
            y, sources = c.noisy(x, noise, rng.uniform(0, 20)), [source, ns]
        elif family == "clip":
            y = c.clip(x, rng.uniform(6, 20))
        else:  # "phone": all of it at once, as one unfamiliar phone in one unfamiliar room
            ns, noise = rng.choice(noises)
            y = c.phone(c.noisy(c.reverb(x), noise, rng.uniform(5, 20)), codec=True, eq=True)
            sources = [source, ns]
        c.add(y, source, group, cry, "aug", sources=sources, aug=family)

    families = ["reverb", "eq-agc", "codec", "noise", "clip", "phone"]

    # ---- cries ----
    for source in ("donateacry", "esc50-cry", "audioset-cry"):
        groups = {}
        for p in by_source[source]:
            groups.setdefault(p[1], []).append(p[3])
        for k, p in enumerate(by_source[source]):
            _, group, _, x, _ = p
            c.add(x, source, group, 1, "plain")
            c.add(loudest(x, rng.uniform(1.0, 2.0)), source, group, 1, "short")
            if k % 3 == 0:
                c.add(c.clip(x, rng.uniform(6, 14)), source, group, 1, "clipped")
            for family in rng.sample(families, 2):
                augment(x, source, group, 1, family)
        # Longer notes: a family's own clips one after the other (or one clip looped).
        for group, xs in sorted(groups.items())[:: max(1, len(groups) // 40)]:
            c.add(fill(xs, voice_note_length(rng, 12, 60), rng, 0.3), source, group, 1, "long")

    # ---- non-cries as they are (esc50, audioset, bedtime, ravdess) and at voice-note length ----
    for source in ("esc50", "audioset-smh", "audioset-laughter", "ravdess-speech", "ravdess-song",
                   "bedtime-a", "bedtime-b", "bedtime-c"):
        groups = {}
        for p in by_source[source]:
            groups.setdefault(p[1], []).append(p[3])
            c.add(p[3], source, p[1], 0, "plain")
            if rng.random() < 0.3:
                augment(p[3], source, p[1], 0, rng.choice(families))
        group_names = sorted(groups)
        for k in range(min(60, 2 * len(group_names))):
            group = group_names[k % len(group_names)]
            # A group's own pieces (one actor, one video, one song); the rest of the source when
            # the group alone is shorter than the note (a TV flicking between programmes).
            xs = groups[group] + [x for g in rng.sample(group_names, min(3, len(group_names))) for x in groups[g]]
            c.add(fill(xs, voice_note_length(rng, 6, 60), rng, 0.2), source, group, 0, "long")

    # ---- a grown-up reading digits: spoken digits joined per speaker to 3–60 s ----
    for speaker, xs in sorted(by_speaker.items()):
        for k in range(30):
            x = fill(xs, voice_note_length(rng), rng, rng.uniform(0.1, 0.5))
            c.add(x, "fsdd", f"fsdd:{speaker}", 0, "long" if len(x) > 10 * RATE else "plain")
            if k % 3 == 0:
                augment(x, "fsdd", f"fsdd:{speaker}", 0, rng.choice(families))

    # ---- synthetic adult speech, both languages, many voices and rates, in a room with noise ----
    for k in range(240):
        lang = "en" if k % 2 else "ru"
        voice = VOICES[lang][k % len(VOICES[lang])]
        seconds = voice_note_length(rng)
        parts = []
        while sum(len(p) for p in parts) < seconds * RATE:
            text = rng.choice(SENTENCES[lang]) if rng.random() < 0.6 else " ".join(str(rng.randrange(1, 1000)) for _ in range(8))
            parts.append(c.espeak(text, voice, rng.randint(110, 220), rng.randint(20, 80)))
        x = concat(parts, rng.uniform(0.2, 0.8))[: int(seconds * RATE)]
        x = c.reverb(x) if rng.random() < 0.5 else x
        ns, noise = rng.choice(noises)
        c.add(c.noisy(x, noise, rng.uniform(5, 25)), "espeak", f"espeak:{voice}", 0,
              "long" if seconds > 10 else "plain", sources=["espeak", ns], voice=voice, lang=lang)

    # ---- a TV: speech over music; babble: several speakers at once ----
    speech = [(p[0], p[3]) for p in by_source["ravdess-speech"]] + \
             [("fsdd", fill(xs, 8, rng, 0.2)) for xs in by_speaker.values()]
    for k in range(160):
        seconds = voice_note_length(rng, 5, 40)
        if k % 2 == 0:
            ss, s = rng.choice(speech)
            ms, m = rng.choice(music)
            x = c.noisy(loop_to(s, int(seconds * RATE), rng), m, rng.uniform(-5, 10))
            c.add(x, "tv-mix", f"tv:{k}", 0, "long" if seconds > 10 else "plain", sources=["tv-mix", ss, ms])
        else:
            chosen = rng.sample(speech, rng.randint(3, 6))
            x = sum(loop_to(s, int(seconds * RATE), rng) * rng.uniform(0.3, 1) for _, s in chosen)
            c.add(x, "babble", f"babble:{k}", 0, "long" if seconds > 10 else "plain",
                  sources=["babble", *[s for s, _ in chosen]])

    # ---- synthetic noise and tones (each its own group) ----
    for k in range(40):
        n = int(voice_note_length(rng, 3, 20) * RATE)
        t = np.arange(n) / RATE
        kind = k % 4
        if kind == 0:
            x = np.random.default_rng(k).standard_normal(n) * rng.uniform(0.01, 0.3)
        elif kind == 1:
            x = np.cumsum(np.random.default_rng(k).standard_normal(n)) * 0.001
            x -= np.convolve(x, np.ones(400) / 400, mode="same")
        elif kind == 2:
            x = rng.uniform(0.05, 0.5) * np.sin(2 * np.pi * rng.uniform(100, 3500) * t)
        else:
            f0 = rng.uniform(250, 600)
            x = 0.2 * np.sin(2 * np.pi * f0 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t))
        c.add(x.astype(np.float32), "synthetic", f"synth:{k}", 0, "plain")
    # Appliances, alarms and phones: steady and beeping tones, harmonic drones, sirens, dial tones
    # (a steady 440 Hz tone scored as a cry without these).
    for k in range(60):
        c.add(tone(rng, k % 4, voice_note_length(rng, 3, 20)), "synthetic", f"tone:{k}", 0, "plain")

    with (args.out / "corpus.jsonl").open("w") as f:
        for row in c.rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    shutil.rmtree(c.scratch, ignore_errors=True)
    summary = {}
    for row in c.rows:
        key = f"{row['source']}/{row['kind']}"
        summary[key] = summary.get(key, 0) + 1
    print(json.dumps(summary, indent=1))
    print(f"{len(c.rows)} recordings, {sum(r['seconds'] for r in c.rows) / 3600:.1f} h")


if __name__ == "__main__":
    main()
