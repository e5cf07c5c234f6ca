"""Train the classifier heads: ``python manage.py train_models --data ../shared/datasets``."""

import json
import pathlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from guardsite.engine.classifier import ARTIFACTS_DIR


class Command(BaseCommand):
    help = "Train the harm, prompt-attack and indirect-attack heads and write their artifacts."

    def add_arguments(self, parser):
        parser.add_argument("--data", required=True, type=pathlib.Path, help="datasets folder")
        parser.add_argument("--out", type=pathlib.Path, default=ARTIFACTS_DIR)
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument(
            "--model-card",
            type=pathlib.Path,
            default=None,
            help="where to write the model card (default: docs/MODEL_CARD.md when --out is "
            "the packaged artifacts folder, else OUT/MODEL_CARD.md)",
        )

    def handle(self, *args, data, out, seed, model_card, **options):
        try:
            from guardsite.engine.training import train
        except ImportError as error:  # scikit-learn/scipy live in the `train` group
            raise CommandError(f"{error}; run with `uv run --group train`") from error
        if not (data / "harm").is_dir() or not (data / "attacks").is_dir():
            raise CommandError(f"{data} has no harm/ and attacks/ folders")
        if model_card is None:
            is_packaged = out.resolve() == ARTIFACTS_DIR.resolve()
            model_card = (
                pathlib.Path(settings.BASE_DIR) / "docs" / "MODEL_CARD.md"
                if is_packaged
                else out / "MODEL_CARD.md"
            )
        report = train(data, out, seed, model_card=model_card)
        for head, figures in report["heads"].items():
            self.stdout.write(
                f"{head:10} AP {figures['average_precision']:.3f}  "
                f"ROC AUC {figures['roc_auc']:.3f}  n={figures['n']}"
            )
        manifest = json.loads((out / "manifest.json").read_text())
        self.stdout.write(self.style.SUCCESS(f"model {manifest['model_version']} written to {out}"))
