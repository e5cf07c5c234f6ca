"""Score the packaged model on public benchmarks that are not in shared/datasets.

    python bench/bench_external.py [FOLDER]

FOLDER (default: $GUARDSITE_EXTERNAL_DATA, else ../extbench beside the checkout) holds the
JSON Lines files that bench/external/build.py makes from the public sources listed in
bench/external/SOURCES.md (XSTest, HateCheck, Multilingual HateCheck, a jailbreak test split).
The data is not in the repository; without the folder this prints how to make it and exits 0.

Rows whose text is also in shared/datasets (after lower-casing and collapsing whitespace) are
left out, so no figure rests on a text the model was trained on.
"""

import gzip
import json
import os
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guardsite.engine import metrics  # noqa: E402
from guardsite.engine.classifier import CATEGORIES, HarmModel  # noqa: E402

LABELS = ("any", "hate", "sexual", "violence", "self_harm", "attack")


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _training_texts(shared: pathlib.Path) -> set[str]:
    seen: set[str] = set()
    for path in sorted(shared.glob("*/*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            seen.update(_key(json.loads(line)["text"]) for line in handle if line.strip())
    return seen


def _figures(truth: np.ndarray, scores: np.ndarray) -> str:
    if truth.min() == truth.max():
        return f"n={truth.size} (one class only)"
    ap = metrics.average_precision(truth, scores)
    auc = metrics.roc_auc(truth, scores)
    return f"n={truth.size} positives={int(truth.sum())} AP={ap:.3f} ROC AUC={auc:.3f}"


def main() -> int:
    default = os.environ.get("GUARDSITE_EXTERNAL_DATA", str(ROOT.parent / "extbench"))
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else default)
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not files:
        print(f"no external benchmark files in {folder}: see bench/external/SOURCES.md")
        return 0
    seen = _training_texts(ROOT.parent / "shared" / "datasets")
    model = HarmModel.load()
    print(f"model {model.model_version}; data from {folder}")
    scored: dict[str, tuple[list[dict], dict[str, np.ndarray]]] = {}
    for path in files:
        with path.open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        kept = [row for row in rows if _key(row["text"]) not in seen]
        scores = model.score([row["text"] for row in kept])
        scored[path.name] = (kept, scores)
        print(f"\n{path.name}: {len(kept)} rows ({len(rows) - len(kept)} also in shared/datasets)")
        safe = [i for i, row in enumerate(kept) if row.get("any") == 0]
        if safe:
            worst = np.max([model.severity(c, scores[c][safe]) for c in CATEGORIES], axis=0)
            print(
                f"  {len(safe)} rows labelled harmless: {np.mean(worst >= 4):.1%} reach medium "
                f"in some category (blocked by default filters), {np.mean(worst >= 2):.1%} low"
            )
        for label in LABELS:
            known = [i for i, row in enumerate(kept) if row.get(label) is not None]
            if not known:
                continue
            truth = np.asarray([int(kept[i][label]) for i in known])
            print(f"  {label:9} {_figures(truth, scores[label][known])}")
            languages = sorted({kept[i].get("lang", "en") for i in known})
            if len(languages) > 1 and truth.min() != truth.max():
                for lang in languages:
                    part = [j for j, i in enumerate(known) if kept[i].get("lang") == lang]
                    figures = _figures(truth[part], scores[label][np.asarray(known)[part]])
                    print(f"    {lang:7} {figures}")
    if {"hatecheck.jsonl", "mhc.jsonl"} <= scored.keys():
        _same_functionalities(*scored["hatecheck.jsonl"], scored["mhc.jsonl"][0])
    return 0


def _same_functionalities(rows: list[dict], scores: dict[str, np.ndarray], mhc: list[dict]):
    """English HateCheck on the functionalities the Multilingual HateCheck sample holds: how
    the model does on the same kinds of test case in English, to tell language from design."""

    def functionality(row: dict) -> str:
        return row["source_label"].split("|")[1]

    wanted = {functionality(row) for row in mhc}
    part = [i for i, row in enumerate(rows) if functionality(row) in wanted]
    truth = np.asarray([int(rows[i]["hate"]) for i in part])
    print(f"\nhatecheck.jsonl, only the {len(wanted)} functionalities of the mhc.jsonl sample:")
    print(f"  hate      {_figures(truth, scores['hate'][part])}")


if __name__ == "__main__":
    raise SystemExit(main())
