"""The report's four figures, drawn headless (Agg) so they render on a server or in CI."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

from .metrics import confusion, reliability, risk_coverage  # noqa: E402

DPI = 130
COLOURS = ["#1f5fa8", "#d9822b", "#2e8b57", "#8e44ad", "#7f7f7f"]


def draw_all(out: Path, metrics: dict, curves: dict) -> None:
    model, labels = curves["model"], curves["labels"]
    y, probs = curves["systems"][model]
    _confusion(out / "confusion.png", y, probs, labels, model)
    _reliability(out / "reliability.png", y, probs, model)
    _risk_coverage(out / "risk-coverage.png", curves)
    _per_class(out / "per-class-recall.png", metrics)


def _confusion(path: Path, y, probs, labels, model) -> None:
    cm = confusion(y, probs.argmax(axis=1), len(labels))
    rows = cm.sum(axis=1, keepdims=True)
    normalised = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.4))
    for ax, values, title, fmt in ((axes[0], cm, "counts", "{:.0f}"), (axes[1], normalised, "row-normalised (recall on the diagonal)", "{:.2f}")):
        ax.imshow(values / max(values.max(), 1e-9), cmap="Blues", vmin=0, vmax=1)
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=10,
                    color="white" if v / max(values.max(), 1e-9) > 0.6 else "black")
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        ax.set_yticks(range(len(labels)), [f"{c} ({n})" for c, n in zip(labels, rows[:, 0])])
        ax.set_xlabel("predicted (top probability)")
        ax.set_ylabel("true label (recordings)")
        ax.set_title(title)
    fig.suptitle(f"Confusion matrix — {model}, {len(y)} recordings")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _reliability(path: Path, y, probs, model) -> None:
    table = reliability(y, probs)
    width = table[0]["high"] - table[0]["low"]
    centres = [(b["low"] + b["high"]) / 2 for b in table]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    for x, b in zip(centres, table):
        if b["count"]:
            top.bar(x, b["accuracy"], width=width * 0.9, color=COLOURS[0], alpha=0.8)
            top.plot(x, b["confidence"], "_", color="black", markersize=12)
            top.text(x, max(b["accuracy"], b["confidence"]) + 0.02, f"n={b['count']}", ha="center", fontsize=8)
    top.bar([], [], color=COLOURS[0], alpha=0.8, label="accuracy in bin")
    top.plot([], [], "_", color="black", markersize=12, label="mean confidence in bin")
    top.set_ylim(0, 1.22)  # the band above 1 holds the legend, clear of the bars
    top.set_yticks(np.linspace(0, 1, 6))
    top.set_ylabel("accuracy of the top label")
    top.legend(loc="upper left", ncol=3, fontsize=8)
    top.set_title(f"Reliability — {model} (15 bins)")
    bottom.bar(centres, [b["count"] for b in table], width=width * 0.9, color="grey")
    bottom.set_ylabel("recordings")
    bottom.set_xlabel("top-label probability as shipped")
    bottom.set_xlim(0, 1)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _risk_coverage(path: Path, curves: dict) -> None:
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    names = [n for n in curves["systems"] if n != curves["baseline"]]
    for colour, name in zip(COLOURS, names):
        y, probs = curves["systems"][name]
        points = sorted((c, a) for _, c, a in risk_coverage(y, probs))
        ax.plot([c for c, _ in points], [a for _, a in points], "-", marker=".", markersize=3, color=colour, label=name)
    y, probs = curves["systems"][curves["baseline"]]
    ax.axhline((probs.argmax(axis=1) == y).mean(), color="grey", linestyle=":", label=f"{curves['baseline']} (answers all)")
    rule = curves["notSure"]
    if rule and rule["accuracy"] is not None:
        ax.plot(rule["coverage"], rule["accuracy"], "*", color="crimson", markersize=16,
                label=f"{curves['model']}'s not-sure rule: {rule['coverage']:.0%} answered, {rule['accuracy']:.0%} right")
    elif rule:  # no accuracy to plot: the rule is a line at zero coverage
        ax.axvline(0, color="crimson", linewidth=3, label=f"{curves['model']}'s not-sure rule: answers none of them")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage (share of recordings answered, threshold on the top probability)")
    ax.set_ylabel("accuracy of the answered recordings")
    ax.set_title("Risk–coverage")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _per_class(path: Path, metrics: dict) -> None:
    labels, systems = metrics["labels"], metrics["systems"]
    support = systems[0]["perClass"]
    fig, ax = plt.subplots(figsize=(max(7.5, 1.6 * len(labels)), 5.2))
    width = 0.8 / len(systems)
    for s, (colour, system) in enumerate(zip(COLOURS, systems)):
        xs = np.arange(len(labels)) - 0.4 + width * (s + 0.5)
        values = [system["perClass"][c]["recall"] for c in labels]
        heights = [v if v is not None else 0 for v in values]
        errors = [[v - ci[0] if ci and v is not None else 0 for v, ci in zip(values, (system["perClass"][c]["ci95"] for c in labels))],
                  [ci[1] - v if ci and v is not None else 0 for v, ci in zip(values, (system["perClass"][c]["ci95"] for c in labels))]]
        ax.bar(xs, heights, width=width * 0.95, color=colour, label=system["name"], yerr=errors, capsize=3)
    ax.axhline(metrics["chance"]["balancedAccuracy"], color="grey", linestyle=":",
               label=f"chance (uniform guess over {len(labels)} labels)")
    ax.set_xticks(range(len(labels)), [f"{c}\nn={support[c]['support']}" for c in labels])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("recall (95 % family-bootstrap interval)")
    ax.set_title("Per-class recall")
    # Below the axes: inside, the legend would hide bars.
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=min(4, len(systems) + 1), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
