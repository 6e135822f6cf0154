"""Evaluation report of a shipped model from predictions.jsonl files (see evaluation/prediction.ts).

    python -m evalreport --predictions model.jsonl [--predictions other.jsonl ...] --out DIR --title "..."
"""
