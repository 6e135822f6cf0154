"""The quality gate's error rates and the files that never reached it, from every line of a predictions file."""
from collections import Counter

from .metrics import wilson

# Verdicts given before the gate could listen: the file itself was the problem (or the run failed).
NOT_DECODED = {"empty", "too_big", "too_long", "undecodable", "no_audio_track", "file_unavailable", "corrupt", "failed"}


def rejection(rows: list[dict]) -> dict:
    """How many of `rows` the gate stopped (any verdict but ok), with a Wilson interval and the verdicts; and,
    apart, the cry detector's own share: it only hears what passed the simple checks (length, silence, clipping)."""
    rejected = [r for r in rows if r["gate"]["verdict"] != "ok"]
    heard = [r for r in rows if r["gate"]["score"] is not None]
    not_a_cry = sum(1 for r in heard if r["gate"]["verdict"] == "not_a_cry")
    return {"recordings": len(rows), "families": len({r["family"] for r in rows}), "rejected": len(rejected),
            "rate": len(rejected) / len(rows) if rows else None, "ci95": wilson(len(rejected), len(rows)),
            "verdicts": dict(Counter(r["gate"]["verdict"] for r in rejected).most_common()),
            "cryDetector": {"recordings": len(heard), "notACry": not_a_cry,
                            "rate": not_a_cry / len(heard) if heard else None, "ci95": wilson(not_a_cry, len(heard))}}


def gate_summary(rows: list[dict]) -> dict:
    cries = [r for r in rows if r["kind"] == "cry"]
    non_cries = [r for r in rows if r["kind"] == "non-cry"]
    by_source = lambda subset: {s: rejection([r for r in subset if r["source"] == s])
                                for s in sorted({r["source"] for r in subset})}
    return {
        "falseRejectOnCries": rejection(cries) | {"bySource": by_source(cries)},
        "rejectOnNonCries": rejection(non_cries) | {"bySource": by_source(non_cries)},
    }


def not_decoded(rows: list[dict]) -> list[dict]:
    """Files the worker could not turn into sound, each with its verdict (and error, for a failed run)."""
    return [{"recording": r["recording"], "source": r["source"], "verdict": r["gate"]["verdict"],
             **({"error": r["error"]} if r.get("error") else {})}
            for r in rows if r["gate"]["verdict"] in NOT_DECODED]


def unknown_labels(rows: list[dict], labels: list[str]) -> dict:
    """Labelled cries whose label the model does not know: counted, not scored."""
    return dict(Counter(r["label"] for r in rows if r["label"] is not None and r["label"] not in labels).most_common())
