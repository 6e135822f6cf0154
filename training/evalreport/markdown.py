"""report.md: the numbers of metrics.json in plain words, with the figures beside them."""
from datetime import datetime, timezone

from .metrics import METRICS

NAMES = {"accuracy": "accuracy", "balancedAccuracy": "balanced accuracy", "macroF1": "macro-F1",
         "macroAucOvr": "macro AUC (one-vs-rest)"}
LIST_AT_MOST = 40


def _f(v, digits=3) -> str:
    return "n/a" if v is None or v != v else f"{v:.{digits}f}"


def _signed(v) -> str:
    return "n/a" if v is None or v != v else f"{v:+.3f}"


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.1%}"


def _ci(ci, digits=3) -> str:
    return "" if not ci else f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def _rate(rate, ci) -> str:
    return "n/a" if rate is None else f"{rate:.1%} [{ci[0]:.1%}, {ci[1]:.1%}]"


def _versus_chance(name: str, metric: str, value: dict, chance: float) -> str:
    ci = value["ci95"]
    if not ci:
        return f"- {name}: {NAMES[metric]} {_f(value['value'])}, no interval (too few families)."
    where = ("its interval includes chance ({:.3f}): no evidence that it tells the reasons apart better than guessing"
             if ci[0] <= chance <= ci[1] else
             "its interval lies above chance ({:.3f})" if ci[0] > chance else
             "its interval lies below chance ({:.3f}): worse than guessing")
    return f"- {name}: {NAMES[metric]} {_f(value['value'])}{_ci(ci)}; " + where.format(chance) + "."


def _versus_zero(d: dict, metric: str) -> str:
    ci = d[metric]["ci95"]
    if not ci:
        return "no interval"
    if ci[0] > 0:
        return f"{d['model']} is better"
    if ci[1] < 0:
        return f"{d['model']} is worse"
    return "interval includes 0: no evidence of a difference"


def write_markdown(path, m: dict, title: str, inputs: list[str], note: str | None) -> None:
    labels, systems, data, gate = m["labels"], m["systems"], m["data"], m["gate"]
    main = systems[0]
    chance = m["chance"]
    out = [
        f"# {title}",
        "",
        f"Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `python -m evalreport` (training/evalreport) from "
        + ", ".join(f"`{p}`" for p in inputs) + "."
        + (" The first file is the model under evaluation, the others are comparisons." if len(inputs) > 1 else "")
        + " The majority baseline is added by the report.",
        "",
    ]
    if note:
        out += [f"> **Note.** {note}", ""]
    out += [
        "## What was measured",
        "",
        "Predictions written by `npm run evaluate` come from each recording re-encoded as a Telegram voice note "
        "(OGG/Opus, mono, 48 kHz, 32 kbit/s, VoIP mode, by the bundled ffmpeg) and analysed by the worker's own "
        "file activities (download → validate quality and cry gate → preprocess → classify), as the bot would.",
        "",
        "| source | kind | recordings |",
        "| --- | --- | --- |",
        *[f"| {row['source']} | {row['kind']} | {row['recordings']} |" for row in data["bySourceAndKind"]],
        "",
        f"The reasons are scored on the {data['scored']['recordings']} labelled cries (from {data['scored']['families']} "
        "families) that passed the gate with a label the model knows: "
        + ", ".join(f"{label} {n}" for label, n in data["scored"]["perLabel"].items()) + ". "
        f"Intervals are {m['bootstrap']['interval']} intervals over {m['bootstrap']['resamples']} bootstrap resamples of "
        f"**families** (app installs, seed {m['bootstrap']['seed']}): recordings of one family are not independent. "
        "A family-level interval from few families is wide; that width is the honest uncertainty.",
        "",
        "If the model was trained on any of these recordings, every reason figure below is in-sample and optimistic; "
        "honest figures on unseen families come from grouped cross-validation (the training report).",
        "",
        "## Reasons",
        "",
        "| system | recordings (families) | " + " | ".join(NAMES[k] for k in METRICS) + " | ECE (15 bins) |",
        "| --- | --- |" + " --- |" * (len(METRICS) + 1),
        *[f"| {s['name']} | {s['recordings']} ({s['families']}) | "
          + " | ".join(f"{_f(s[k]['value'])}{_ci(s[k]['ci95'])}" for k in METRICS) + f" | {_f(s['ece15'])} |"
          for s in systems],
        "",
        f"Chance: balanced accuracy {chance['balancedAccuracy']:.3f} (a uniform guess over {len(labels)} labels), "
        "macro AUC 0.500. Accuracy rewards always naming the most frequent label, so read it beside the baseline.",
        "",
    ]
    for s in systems:
        if s["name"] == systems[1]["name"]:
            continue
        out.append(_versus_chance(s["name"], "balancedAccuracy", s["balancedAccuracy"], chance["balancedAccuracy"]))
        out.append(_versus_chance(s["name"], "macroAucOvr", s["macroAucOvr"], chance["macroAucOvr"]))
    out += ["", "### Paired differences", "",
            "Each difference is computed on the same family resamples for both systems, over the recordings both scored.", "",
            "| difference | recordings (families) | " + " | ".join(f"Δ {NAMES[k]}" for k in METRICS) + " |",
            "| --- | --- |" + " --- |" * len(METRICS)]
    for d in m["differences"]:
        if not d["recordings"]:
            out.append(f"| {d['model']} − {d['versus']} | 0 | " + " | ".join("no common recordings" for _ in METRICS) + " |")
            continue
        out.append(f"| {d['model']} − {d['versus']} | {d['recordings']} ({d['families']}) | "
                   + " | ".join(f"{_signed(d[k]['value'])}{_ci(d[k]['ci95'])}" for k in METRICS) + " |")
    out.append("")
    for d in m["differences"]:
        if d["recordings"]:
            out.append(f"- {d['model']} − {d['versus']}: balanced accuracy — {_versus_zero(d, 'balancedAccuracy')}; "
                       f"macro AUC — {_versus_zero(d, 'macroAucOvr')}.")
    out += [
        "",
        "## Per-class recall",
        "",
        "![per-class recall](per-class-recall.png)",
        "",
        "| label | recordings | " + " | ".join(s["name"] for s in systems) + " |",
        "| --- | --- |" + " --- |" * len(systems),
        *[f"| {c} | {main['perClass'][c]['support']} | "
          + " | ".join(f"{_f(s['perClass'][c]['recall'])}{_ci(s['perClass'][c]['ci95'], 2)}" for s in systems) + " |"
          for c in labels],
        "",
        f"## Confusion matrix ({main['name']}; rows true, columns predicted)",
        "",
        "![confusion matrix](confusion.png)",
        "",
        "| true \\ predicted | " + " | ".join(labels) + " |",
        "| --- |" + " --- |" * len(labels),
        *[f"| {c} | " + " | ".join(str(v) for v in row) + " |" for c, row in zip(labels, main["confusion"])],
        "",
        "## Calibration",
        "",
        f"Expected calibration error of the shipped probabilities (top label, 15 equal-width bins): "
        f"**{_f(main['ece15'])}** for {main['name']}. A bar below the diagonal means the model is more confident than "
        "it is right.",
        "",
        "![reliability diagram](reliability.png)",
        "",
        "| top probability | recordings | mean confidence | accuracy |",
        "| --- | --- | --- | --- |",
        *[f"| {b['low']:.2f}–{b['high']:.2f} | {b['count']} | {_f(b['confidence'])} | {_f(b['accuracy'])} |"
          for b in main["reliability"] if b["count"]],
        "",
        "## \"Not sure\" and risk–coverage",
        "",
    ]
    rule = main["notSureRule"]
    if rule is None:
        out.append("The predictions carry no `notSure` flags, so the model's own rule cannot be judged here.")
    elif rule["accuracy"] is None:
        out.append(f"Under its own rule {main['name']} says \"not sure\" to every one of the {main['recordings']} "
                   "recordings: coverage 0 %, so it names no reason to anyone.")
    else:
        out.append(f"Under its own rule {main['name']} answers {rule['answered']} of {main['recordings']} recordings "
                   f"(coverage {_pct(rule['coverage'])}), {_pct(rule['accuracy'])} of them right; it says \"not sure\" to the rest.")
    out += ["", "![risk-coverage](risk-coverage.png)", "",
            "| min top probability | coverage | accuracy of answered |", "| --- | --- | --- |"]
    for t in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        point = next(((c, a) for th, c, a in main["riskCoverage"] if th >= t), None)
        out.append(f"| {t:.2f} | {_f(point[0]) if point else '0.000'} | {_f(point[1]) if point else 'n/a'} |")

    cries, non = gate["falseRejectOnCries"], gate["rejectOnNonCries"]
    out += [
        "",
        "## Quality gate",
        "",
        "A rejection is any verdict but `ok` (too short, silent, clipped, not a cry, or a file that would not decode). "
        "The cry detector only hears what passed the simple checks before it (length, silence, clipping); its own "
        "`not_a_cry` rate among those is in the last column. Intervals are 95 % Wilson intervals over recordings; "
        "clips from one family or one speaker are correlated, so the real uncertainty is somewhat wider.",
        "",
        "| set | source | recordings | rejected | rate | verdicts | reached the cry detector | its not-a-cry rate |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        _gate_row("cries (false rejects)", "all", cries),
        *[_gate_row("cries (false rejects)", src, r) for src, r in cries["bySource"].items()],
        _gate_row("non-cries (rejects)", "all", non),
        *[_gate_row("non-cries (rejects)", src, r) for src, r in non["bySource"].items()],
        "",
        "## Not scored",
        "",
    ]
    unknown = m["unknownLabels"]
    out.append("Labels the model does not know (counted, not scored; their recordings still count for the gate): "
               + (", ".join(f"{label} {n}" for label, n in unknown.items()) if unknown else "none") + ".")
    out.append(f"Labelled cries the gate rejected are not scored either; unlabelled cries (e.g. ESC-50 `crying_baby`) "
               f"only count for the gate: {data['unlabelledCries']}.")
    if m["notVoiceNote"]:
        out.append(f"{m['notVoiceNote']} files could not be re-encoded as a voice note; the worker judged the file as it is.")
    bad = m["notDecoded"]
    out += ["", f"Files that never reached the gate: {len(bad)}.", ""]
    if bad:
        out += ["| recording | source | verdict |", "| --- | --- | --- |",
                *[f"| {b['recording']} | {b['source']} | {b['verdict']}{' — ' + b['error'][:120] if b.get('error') else ''} |"
                  for b in bad[:LIST_AT_MOST]]]
        if len(bad) > LIST_AT_MOST:
            out.append(f"\n…and {len(bad) - LIST_AT_MOST} more in metrics.json.")
    timing = m["analysisMs"]
    out += ["", "## Analysis time", ""]
    if timing:
        out.append("Wall time of the file stages per recording (download → classify, the voice-note encoding not included), "
                   "two recordings at a time on this machine:")
        out += ["", "| recordings | n | p50 ms | p95 ms |", "| --- | --- | --- | --- |"]
        for key, name in (("all", "all"), ("answered", "passed the gate (full pipeline)")):
            if timing[key]:
                out.append(f"| {name} | {timing[key]['recordings']} | {timing[key]['p50']:.0f} | {timing[key]['p95']:.0f} |")
    else:
        out.append("The predictions carry no timings.")
    out += [
        "",
        "## Files",
        "",
        "- `report.md` — this page.",
        "- `metrics.json` — every number above, with the intervals, the reliability bins and the risk–coverage curve.",
        "- `confusion.png` — confusion matrix of the model, counts and row-normalised.",
        "- `reliability.png` — top-label confidence against accuracy per bin, with the recordings in each bin.",
        "- `risk-coverage.png` — accuracy of the answered recordings as the top-probability threshold rises; the model's own "
        "\"not sure\" rule marked.",
        "- `per-class-recall.png` — recall of each label with its family-bootstrap interval, for every system.",
        "- `predictions.jsonl` — one line per recording (when written by `npm run evaluate`).",
        "",
    ]
    path.write_text("\n".join(out))


def _gate_row(kind: str, source: str, r: dict) -> str:
    if not r["recordings"]:
        return f"| {kind} | {source} | 0 | | | | | |"
    verdicts = ", ".join(f"{v} {n}" for v, n in r["verdicts"].items()) or "—"
    detector = r["cryDetector"]
    return (f"| {kind} | {source} | {r['recordings']} | {r['rejected']} | {_rate(r['rate'], r['ci95'])} | {verdicts} | "
            f"{detector['recordings']} | {_rate(detector['rate'], detector['ci95'])} |")
