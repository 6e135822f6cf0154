"""python -m evalreport --predictions model.jsonl [--predictions other.jsonl ...] --out DIR --title "..." [--note "..."]"""
import argparse
import json
from pathlib import Path

from .analyse import evaluate
from .bootstrap import RESAMPLES, SEED
from .load import read
from .markdown import write_markdown
from .plots import draw_all


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m evalreport", description="Evaluation report from predictions.jsonl files.")
    ap.add_argument("--predictions", type=Path, action="append", required=True,
                    help="JSONL predictions; the first is the model under evaluation, further ones are comparisons")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--title", default="Evaluation report")
    ap.add_argument("--note", help="a paragraph shown at the top (e.g. how these recordings relate to the training data)")
    ap.add_argument("--resamples", type=int, default=RESAMPLES)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()

    taken: set[str] = set()
    runs = [read(p, taken) for p in args.predictions]
    metrics, curves = evaluate(runs, args.resamples, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps({"title": args.title, **metrics}, indent=2) + "\n")
    draw_all(args.out, metrics, curves)
    write_markdown(args.out / "report.md", metrics, args.title, [run.shown for run in runs], args.note)
    print(f"report: {args.out / 'report.md'}")


if __name__ == "__main__":
    main()
