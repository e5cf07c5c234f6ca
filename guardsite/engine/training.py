"""Train the classifier heads and write the artifacts that ``classifier.HarmModel`` loads.

Training needs the ``train`` dependency group (scikit-learn, scipy); inference does not.
The static embedding (``embedding.npz`` + ``tokenizer.json``) is an input, committed in
``guardsite/engine/artifacts/``; ``distill_embedding`` re-creates it (needs model2vec with its
``distill`` extra and torch, see docs/MODEL_CARD.md).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import pathlib
import random
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from . import metrics
from .classifier import ARTIFACTS_DIR, CATEGORIES, HEADS, Featurizer, detect_language, sigmoid

AUTHORED_DIR = pathlib.Path(__file__).resolve().parent / "authored"
LEVEL_SEVERITY = {"safe": 0, "low": 2, "medium": 4, "high": 6}
# Soft targets make the category score grow with severity, so one score can carry the level.
LEVEL_TARGET = {"safe": 0.0, "low": 0.45, "medium": 0.75, "high": 1.0}
DATA_POSITIVE_TARGET = 0.85  # the shared data's positives are mostly medium-to-high severity
DATA_POSITIVE_SEVERITY = 4
AUTHORED_WEIGHT = 8.0  # a few hundred authored rows next to ~100k data rows
REGULARISATION_C = 4.0


@dataclass
class Row:
    text: str
    split: str  # "train" | "validation" | "test"
    source: str
    labels: dict[str, float | None] = field(default_factory=dict)
    weight: float = 1.0
    level: str | None = None  # authored severity level, for calibration
    category: str | None = None


def _bucket(key: str) -> int:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 100


def _hash_split(key: str) -> str:
    bucket = _bucket(key)
    return "test" if bucket < 15 else "validation" if bucket < 25 else "train"


def _read_jsonl(path: pathlib.Path) -> Iterable[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_harm(data_dir: pathlib.Path) -> list[Row]:
    rows = []
    for path in sorted((data_dir / "harm").glob("*.jsonl.gz")):
        source = path.name.removesuffix(".jsonl.gz")
        for item in _read_jsonl(path):
            # ParaDetox paraphrases share a group with their toxic original: keep it together.
            key = f"group:{item['group']}" if item.get("group") is not None else item["text"]
            labels = {h: item.get(h) for h in (*CATEGORIES, "any")}
            rows.append(Row(item["text"], _hash_split(f"{source}:{key}"), source, labels))
    return rows


def load_attacks(data_dir: pathlib.Path) -> list[Row]:
    rows = []
    for path in sorted((data_dir / "attacks").glob("*.jsonl.gz")):
        source = path.name.removesuffix(".jsonl.gz")
        for item in _read_jsonl(path):
            split = item.get("split")
            # Sources whose only split is "train" (deepset) are split by hash like the rest.
            if split not in ("validation", "test") and not _has_real_splits(source):
                split = _hash_split(f"{source}:{item['text']}")
            rows.append(
                Row(item["text"], split or "train", source, {"attack": item["attack"]}),
            )
            rows[-1].labels["kind"] = item.get("kind")  # type: ignore[assignment]
    return rows


def _has_real_splits(source: str) -> bool:
    return source in {"s_labs", "neuralchemy", "gandalf_ignore_instructions"}


def load_authored(authored_dir: pathlib.Path) -> list[Row]:
    rows = []
    for path in sorted(authored_dir.glob("*.jsonl")):
        for item in _read_jsonl(path):
            level, category = item["level"], item.get("category")
            labels: dict[str, float | None] = {"attack": float(item.get("attack", 0))}
            for c in CATEGORIES:
                if c == category:
                    labels[c] = LEVEL_TARGET[level]
                else:
                    labels[c] = 0.0 if level == "safe" else None
            labels["any"] = 0.0 if level == "safe" else 1.0
            if item.get("attack"):
                labels.update(dict.fromkeys((*CATEGORIES, "any")))
            split = "test" if _bucket("authored:" + item["text"]) < 25 else "train"
            row = Row(item["text"], split, "authored", labels, AUTHORED_WEIGHT, level, category)
            row.labels["lang"] = item.get("lang")  # type: ignore[assignment]
            rows.append(row)
    return rows


# --- indirect attacks: injections hidden inside benign documents ------------------------

_NAMES = ["Anna", "Marco", "Priya", "Tom", "Lena", "Kenji", "Sofia", "David"]
_BENIGN_INSTRUCTIONS = [
    "Please reply by Friday so we can book the room.",
    "Click the link below to confirm your subscription.",
    "Remember to bring your badge to the office tomorrow.",
    "Do not forget to water the plants while I am away.",
    "Please review the attached invoice and let me know if anything is wrong.",
    "Forward this message to anyone on the team who missed the meeting.",
    "Store the leftovers in the fridge and eat them within two days.",
    "Ignore the previous email, the meeting time has not changed after all.",
]


def _document(rng: random.Random, sentences: list[str], insert: str | None) -> str:
    body = rng.sample(sentences, k=min(len(sentences), rng.randint(2, 6)))
    if insert is not None:
        wrapper = rng.choice(["{}", "IMPORTANT: {}", "<!-- {} -->", "[note] {}", "P.S. {}", "{}"])
        body.insert(rng.randint(0, len(body)), wrapper.format(insert))
    name = rng.choice(_NAMES)
    template = rng.choice(
        [
            "Subject: Update\nFrom: {name}\n\nHi all,\n{body}\n\nBest regards,\n{name}",
            "<html><body><h1>Notes</h1><p>{body}</p></body></html>",
            "Customer review (4/5 stars): {body}",
            "Meeting notes\n- {bullets}",
            '{{"title": "Document", "content": "{body}"}}',
            "# README\n\n{body}",
            "{body}",
        ]
    )
    return template.format(name=name, body=" ".join(body), bullets="\n- ".join(body))


def build_indirect(
    harm: list[Row], attacks: list[Row], authored: list[Row], seed: int
) -> list[Row]:
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not security
    filler = [r.text for r in harm if r.labels.get("any") == 0 and 30 <= len(r.text) <= 200]
    filler += [r.text for r in authored if r.level == "safe" and not r.labels.get("attack")]
    benign_requests = [r.text for r in attacks if r.labels["attack"] == 0 and len(r.text) < 300]
    filler.sort()
    benign_requests.sort()
    rows = []
    for split in ("train", "validation", "test"):
        injections = sorted(
            r.text
            for r in attacks
            if r.split == split and r.labels["attack"] == 1 and len(r.text) < 600
        )
        if not injections or len(filler) < 2:
            continue
        for text in injections:
            rows.append(Row(_document(rng, filler, text), split, "indirect", {"indirect": 1.0}))
            # Negatives: plain documents, and documents with harmless instructions or requests.
            negative_insert = rng.choice(
                [None, rng.choice(_BENIGN_INSTRUCTIONS)]
                + ([rng.choice(benign_requests)] if benign_requests else [])
            )
            rows.append(
                Row(_document(rng, filler, negative_insert), split, "indirect", {"indirect": 0.0})
            )
    return rows


# --- fitting ----------------------------------------------------------------------------


def _design(features, index: np.ndarray):
    from scipy import sparse

    dense, rows, cols, values, n_hash = features
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(dense.shape[0], n_hash))
    return sparse.hstack([sparse.csr_matrix(dense[index]), matrix[index]], format="csr")


def _fit_head(features, index: np.ndarray, targets: np.ndarray, weights: np.ndarray, seed: int):
    """Logistic regression on soft targets: each row counts as a positive with weight w*t and
    a negative with weight w*(1-t). Returns (coefficients, bias)."""
    from sklearn.linear_model import LogisticRegression

    n_features = features[0].shape[1] + features[4]
    positive_mass = float(np.sum(targets * weights))
    negative_mass = float(np.sum((1 - targets) * weights))
    if positive_mass == 0 or negative_mass == 0:
        rate = min(max(positive_mass / max(positive_mass + negative_mass, 1e-9), 1e-3), 1 - 1e-3)
        return np.zeros(n_features, np.float32), float(np.log(rate / (1 - rate)))
    soft = (targets > 0) & (targets < 1)
    design = _design(features, np.r_[index, index[soft]])
    y = np.r_[(targets > 0).astype(int), np.zeros(int(soft.sum()), int)]
    w = np.r_[np.where(targets > 0, targets, 1.0) * weights, (1 - targets[soft]) * weights[soft]]
    model = LogisticRegression(C=REGULARISATION_C, max_iter=400, random_state=seed)
    model.fit(design, y, sample_weight=w / w.mean())
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def _head_rows(rows: list[Row], head: str, splits: set[str]) -> tuple[np.ndarray, np.ndarray]:
    index = [i for i, r in enumerate(rows) if r.split in splits and r.labels.get(head) is not None]
    return np.asarray(index, dtype=np.int64), np.asarray(
        [rows[i].labels[head] for i in index], dtype=np.float64
    )


def _isotonic_thresholds(scores: np.ndarray, levels: np.ndarray, weights: np.ndarray) -> list:
    """Fit severity = isotonic(score); threshold k is the lowest score whose fitted severity
    reaches k - 0.5, so severity(score) = number of thresholds reached."""
    from sklearn.isotonic import IsotonicRegression

    order = np.argsort(scores, kind="mergesort")
    iso = IsotonicRegression(y_min=0, y_max=7, increasing=True, out_of_bounds="clip")
    fitted = iso.fit(scores[order], levels[order], sample_weight=weights[order]).predict(
        scores[order]
    )
    thresholds = []
    for k in range(1, 8):
        reached = np.flatnonzero(fitted >= k - 0.5)
        thresholds.append(float(scores[order][reached[0]]) if reached.size else 1.01)
    return thresholds


def train(
    data_dir: pathlib.Path,
    out_dir: pathlib.Path,
    seed: int = 13,
    *,
    authored_dir: pathlib.Path = AUTHORED_DIR,
    embedding_dir: pathlib.Path = ARTIFACTS_DIR,
    model_card: pathlib.Path | None = None,
) -> dict:
    """Train every head, write artifacts to ``out_dir`` and return the held-out metrics."""
    data_dir, out_dir = pathlib.Path(data_dir), pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("embedding.npz", "tokenizer.json"):
        if (embedding_dir / name).resolve() != (out_dir / name).resolve():
            shutil.copyfile(embedding_dir / name, out_dir / name)

    harm, attacks, authored = (
        load_harm(data_dir),
        load_attacks(data_dir),
        load_authored(authored_dir),
    )
    indirect = build_indirect(harm, attacks, authored, seed)
    rows = _assemble(harm, attacks, authored, indirect, seed)

    featurizer = Featurizer.from_directory(out_dir)
    dense, r, c, v = _transform_in_chunks(featurizer, [row.text for row in rows])
    features = (dense, r, c, v, featurizer.n_hash)
    weights_all = np.asarray([row.weight for row in rows])

    dense_weights = np.zeros((dense.shape[1], len(HEADS)), np.float32)
    sparse_weights = np.zeros((featurizer.n_hash, len(HEADS)), np.float32)
    bias = np.zeros(len(HEADS), np.float32)
    for h, head in enumerate(HEADS):
        index, targets = _head_rows(rows, head, {"train"})
        coef, intercept = _fit_head(features, index, targets, weights_all[index], seed)
        dense_weights[:, h], sparse_weights[:, h], bias[h] = (
            coef[: dense.shape[1]],
            coef[dense.shape[1] :],
            intercept,
        )

    sparse_weights16 = sparse_weights.astype(np.float16)
    all_scores = _score_rows(features, dense_weights, sparse_weights16, bias)

    manifest = {
        "heads": list(HEADS),
        "seed": seed,
        "severity_thresholds": _severity_thresholds(rows, all_scores),
        "attack_threshold": _tuned_threshold(rows, all_scores, "attack"),
        "indirect_threshold": _tuned_threshold(rows, all_scores, "indirect"),
    }
    heads_path = out_dir / "heads.npz"
    np.savez(
        heads_path,
        heads=np.asarray(HEADS),
        dense_weights=dense_weights,
        sparse_weights=sparse_weights16,
        bias=bias,
    )
    digest = hashlib.sha256()
    for name in ("embedding.npz", "tokenizer.json", "heads.npz"):
        digest.update((out_dir / name).read_bytes())
    digest.update(json.dumps(manifest, sort_keys=True).encode())
    manifest["model_version"] = digest.hexdigest()[:12]

    report = _evaluate(rows, all_scores, manifest)
    manifest["metrics"] = report
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    if model_card is not None:
        model_card.write_text(render_model_card(report, manifest, rows))
    return report


def _assemble(harm, attacks, authored, indirect, seed: int) -> list[Row]:
    """Add cross-task negatives: benign prompts are harm negatives, harm data is attack-benign."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not security
    rows = list(harm) + list(authored) + list(indirect)
    for row in attacks:
        if row.labels["attack"] == 0 and row.source in ("s_labs", "neuralchemy", "deepset"):
            row.labels.update({h: 0.0 for h in (*CATEGORIES, "any")})
        rows.append(row)
    # Harmful requests and toxic comments are not prompt attacks; without these negatives the
    # attack head learns "imperative question about something bad" instead of "attack".
    harm_sample = [r for r in harm if rng.random() < 0.12]
    for row in harm_sample:
        rows.append(Row(row.text, row.split, row.source + "+attack-negative", {"attack": 0.0}))
    for row in authored:
        if row.labels.get("attack") is None:
            row.labels["attack"] = 0.0
    return rows


def _transform_in_chunks(featurizer: Featurizer, texts: list[str], chunk: int = 4096):
    dense_parts, rows, cols, values = [], [], [], []
    for start in range(0, len(texts), chunk):
        d, r, c, v = featurizer.transform(texts[start : start + chunk])
        dense_parts.append(d)
        rows.append(r + start)
        cols.append(c)
        values.append(v)
    return (
        np.vstack(dense_parts),
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(values),
    )


def _score_rows(features, dense_weights, sparse_weights, bias) -> np.ndarray:
    from .classifier import linear_scores

    dense, rows, cols, values, _ = features
    return sigmoid(linear_scores(dense, rows, cols, values, dense_weights, sparse_weights, bias))


def _severity_thresholds(rows: list[Row], scores: np.ndarray) -> dict[str, list[float]]:
    rng = np.random.default_rng(0)
    result = {}
    for h, category in enumerate(CATEGORIES):
        idx, levels, weights = [], [], []
        for i, row in enumerate(rows):
            if row.source == "authored" and row.labels.get(category) is not None:
                level = row.level if row.category == category else "safe"
                idx.append(i)
                levels.append(LEVEL_SEVERITY[level])
                weights.append(10.0)
            elif (
                row.split == "validation"
                and row.labels.get(category) in (0, 1)
                and rng.random() < 0.2
            ):
                idx.append(i)
                levels.append(DATA_POSITIVE_SEVERITY if row.labels[category] == 1 else 0)
                weights.append(1.0)
        if not idx:
            result[category] = [0.5 + 0.07 * k for k in range(7)]
            continue
        result[category] = _isotonic_thresholds(
            scores[idx, h], np.asarray(levels, float), np.asarray(weights, float)
        )
    return result


def _tuned_threshold(rows: list[Row], scores: np.ndarray, head: str) -> float:
    h = HEADS.index(head)
    index, targets = _head_rows(rows, head, {"validation"})
    if index.size == 0 or len(set(targets.tolist())) < 2:
        return 0.5
    return metrics.best_f1_threshold(targets.astype(int), scores[index, h])


def _summary(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> dict:
    labels = labels.astype(int)
    precision, recall = metrics.precision_recall_at(labels, scores, threshold)
    return {
        "n": int(labels.size),
        "positives": int(labels.sum()),
        "average_precision": metrics.average_precision(labels, scores),
        "roc_auc": metrics.roc_auc(labels, scores),
        "precision": precision,
        "recall": recall,
        "threshold": threshold,
    }


def _evaluate(rows: list[Row], scores: np.ndarray, manifest: dict) -> dict:
    report: dict = {"heads": {}, "by_source": {}, "by_language": {}, "severity": {}}
    thresholds = {
        "attack": manifest["attack_threshold"],
        "indirect": manifest["indirect_threshold"],
    }
    for h, head in enumerate(HEADS):
        index, targets = _head_rows(rows, head, {"test"})
        if index.size == 0:
            continue
        binary = targets >= 0.5
        report["heads"][head] = _summary(binary, scores[index, h], thresholds.get(head, 0.5))
        by_source: dict[str, list[int]] = {}
        for i in index:
            by_source.setdefault(rows[i].source, []).append(i)
        report["by_source"][head] = {
            source: _summary(
                np.asarray([rows[i].labels[head] >= 0.5 for i in idx]),
                scores[idx, h],
                thresholds.get(head, 0.5),
            )
            for source, idx in sorted(by_source.items())
        }
    # Per language: the held-out split of every head, grouped by detected language.
    for head in ("any", "attack", *CATEGORIES):
        h = HEADS.index(head)
        index, _ = _head_rows(rows, head, {"test"})
        groups: dict[str, list[int]] = {}
        for i in index:
            if rows[i].source.endswith("attack-negative"):
                continue
            groups.setdefault(detect_language(rows[i].text), []).append(int(i))
        report["by_language"][head] = {
            lang: _summary(
                np.asarray([rows[i].labels[head] >= 0.5 for i in idx]),
                scores[idx, h],
                thresholds.get(head, 0.5),
            )
            for lang, idx in sorted(groups.items())
            if len(idx) >= 5
        }
    for h, category in enumerate(CATEGORIES):
        held = [
            (i, row)
            for i, row in enumerate(rows)
            if row.source == "authored" and row.split == "test" and row.category == category
        ]
        if not held:
            continue
        thresholds_c = np.asarray(manifest["severity_thresholds"][category])
        predicted = np.searchsorted(thresholds_c, scores[[i for i, _ in held], h], side="right")
        expected = np.asarray([LEVEL_SEVERITY[row.level] for _, row in held])
        bucket_error = np.abs(predicted // 2 - expected // 2)
        report["severity"][category] = {
            "n": len(held),
            "exact_level": float(np.mean(bucket_error == 0)),
            "within_one_level": float(np.mean(bucket_error <= 1)),
        }
    return report


def distill_embedding(model_dir: pathlib.Path, out_dir: pathlib.Path, pca_dims: int = 256) -> None:
    """Re-create embedding.npz/tokenizer.json from a local sentence-transformer folder.

    Needs ``model2vec[distill]`` and torch (not part of the project's dependency groups; see
    docs/MODEL_CARD.md). Vectors are stored as int8 with one float scale per token.
    """
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from model2vec.distill import distill

    model = distill(model_name=str(model_dir), pca_dims=pca_dims)
    vectors = np.asarray(model.embedding, dtype=np.float32)
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    quantised = np.round(vectors / scale[:, None]).astype(np.int8)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez(out_dir / "embedding.npz", vectors=quantised, scale=scale.astype(np.float32))
    model.tokenizer.save(str(out_dir / "tokenizer.json"))


def render_model_card(report: dict, manifest: dict, rows: list[Row]) -> str:
    return "# Model card\n\n```json\n" + json.dumps(report, indent=2) + "\n```\n"
