"""Score a labelled JSONL file: ``python manage.py evaluate LABELLED.jsonl``.

Each line has ``text`` and any of the labels ``any``, ``hate``, ``sexual``, ``violence``,
``self_harm``, ``attack`` (1, 0, or null/missing for unknown).
"""

import json
import math
import pathlib

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from guardsite.engine import metrics
from guardsite.engine.classifier import HarmModel

LABELS = ("any", "hate", "sexual", "violence", "self_harm", "attack")


def _fmt(value: float) -> str:
    return "   n/a" if math.isnan(value) else f"{value:6.3f}"


class Command(BaseCommand):
    help = "Print precision, recall, AUPRC, ROC AUC and a threshold table per category."

    def add_arguments(self, parser):
        parser.add_argument("path", type=pathlib.Path)
        parser.add_argument("--artifacts", type=pathlib.Path, default=None)
        parser.add_argument("--threshold", type=float, default=0.5)

    def handle(self, *args, path, artifacts, threshold, **options):
        rows = _read(path)
        model = HarmModel.load(artifacts)
        scores = model.score([row["text"] for row in rows])
        self.stdout.write(f"model {model.model_version}, {len(rows)} rows from {path}")
        for label in LABELS:
            known = [i for i, row in enumerate(rows) if row.get(label) is not None]
            if not known:
                continue
            truth = np.asarray([int(rows[i][label]) for i in known])
            predicted = scores[label][known]
            cut = model.attack_threshold if label == "attack" else threshold
            precision, recall = metrics.precision_recall_at(truth, predicted, cut)
            self.stdout.write(
                f"\n{label}: n={len(known)} positives={int(truth.sum())} "
                f"precision={_fmt(precision)} recall={_fmt(recall)} (threshold {cut:.3f}) "
                f"AUPRC={_fmt(metrics.average_precision(truth, predicted))} "
                f"ROC AUC={_fmt(metrics.roc_auc(truth, predicted))}"
            )
            self.stdout.write("  threshold  precision  recall  flagged")
            for cut_, p, r, flagged in metrics.threshold_table(truth, predicted):
                self.stdout.write(f"  {cut_:9.2f}  {_fmt(p):>9}  {_fmt(r):>6}  {flagged:7.3f}")


def _read(path: pathlib.Path) -> list[dict]:
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise CommandError(f"{path}:{number}: not JSON ({error})") from error
            if not isinstance(row.get("text"), str):
                raise CommandError(f"{path}:{number}: no text")
            rows.append(row)
    return rows
