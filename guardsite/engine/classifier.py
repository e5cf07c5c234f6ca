"""Trained harm and prompt-attack classifiers: numpy and tokenizers only.

Features (shared by training and inference, so they cannot drift apart):

* a static sentence embedding: the mean of per-token vectors distilled from all-MiniLM-L6-v2
  with model2vec (int8 with a per-token scale), L2-normalised;
* hashed sparse n-grams: word-piece unigrams and bigrams plus byte 3..5-grams of the
  lower-cased text (byte n-grams cover non-English text the English word-piece vocabulary
  splits badly), log-scaled counts, L2-normalised.

Every head is a logistic regression over ``[embedding, hashed n-grams]``; its weights are
numpy arrays in ``heads.npz``. Severity is a per-category step function of the score whose
thresholds were fitted by isotonic regression on labelled severity examples.
"""

from __future__ import annotations

import json
import pathlib
import re
import threading
import unicodedata
from collections.abc import Sequence

import numpy as np
from tokenizers import Tokenizer

ARTIFACTS_DIR = pathlib.Path(__file__).resolve().parent / "artifacts"
CATEGORIES = ("hate", "sexual", "violence", "self_harm")
HEADS = (*CATEGORIES, "any", "attack", "indirect")

# Longer texts are cut here: it bounds latency; the analyzer chunks long documents itself.
MAX_CHARS = 4000
HASH_BITS = 18
CHAR_NGRAMS = (3, 4, 5)

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_SALT_UNIGRAM = np.uint64(0x9E3779B97F4A7C15)
_SALT_BIGRAM = np.uint64(0xC2B2AE3D27D4EB4F)
_SALT_CHAR = np.uint64(0x165667B19E3779F9)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads structured keys evenly over the hash space."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_WHITESPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    return _WHITESPACE.sub(" ", text[:MAX_CHARS]).strip()


class Featurizer:
    """Turns texts into (dense embedding, sparse hashed n-gram) features."""

    def __init__(self, tokenizer: Tokenizer, vectors: np.ndarray, scale: np.ndarray):
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=512)
        # Dequantised once at load: 30k x 256 float32 is 30 MB, and gathers are faster.
        self.vectors = vectors.astype(np.float32) * scale[:, None].astype(np.float32)
        self.dim = self.vectors.shape[1]
        self.n_hash = 1 << HASH_BITS

    @classmethod
    def from_directory(cls, directory: pathlib.Path) -> Featurizer:
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        with np.load(directory / "embedding.npz") as data:
            return cls(tokenizer, data["vectors"], data["scale"])

    def transform(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return (dense (n, dim), rows, cols, values) with rows sorted ascending."""
        cleaned = [clean_text(t) for t in texts]
        encodings = self.tokenizer.encode_batch(cleaned, add_special_tokens=False)
        ids_per_text = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        lengths = np.fromiter((len(ids) for ids in ids_per_text), np.int64, len(texts))
        all_ids = np.concatenate(ids_per_text) if len(texts) else np.zeros(0, np.int64)
        token_rows = np.repeat(np.arange(len(texts)), lengths)

        dense = np.zeros((len(texts), self.dim), np.float32)
        nonempty = np.flatnonzero(lengths)
        if nonempty.size:
            starts = (np.cumsum(lengths) - lengths)[nonempty]
            dense[nonempty] = np.add.reduceat(self.vectors[all_ids], starts, axis=0)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        dense = dense / np.maximum(norms, 1e-9)

        keys = [self._token_keys(all_ids, token_rows, lengths)]
        keys.append(self._char_keys(cleaned))
        rows, cols, values = self._count(np.concatenate(keys), len(texts))
        return dense, rows, cols, values

    def _token_keys(self, ids: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        uids = ids.astype(np.uint64)
        unigram = _mix(uids ^ _SALT_UNIGRAM)
        # A bigram is valid when both tokens belong to the same text.
        same_row = rows[1:] == rows[:-1]
        bigram = _mix((uids[:-1] * np.uint64(40503) + uids[1:]) ^ _SALT_BIGRAM)[same_row]
        hashed = np.concatenate([unigram, bigram]) & np.uint64(self.n_hash - 1)
        key_rows = np.concatenate([rows, rows[:-1][same_row]]).astype(np.uint64)
        return (key_rows << np.uint64(HASH_BITS)) | hashed

    def _char_keys(self, cleaned: list[str]) -> np.ndarray:
        # Texts joined with a NUL separator; windows that contain one are dropped.
        raw = [t.lower().encode("utf-8") for t in cleaned]
        blob = np.frombuffer(b"\x00".join(raw) + b"\x00", dtype=np.uint8).astype(np.uint64)
        byte_lengths = np.fromiter((len(r) + 1 for r in raw), np.int64, len(raw))
        byte_rows = np.repeat(np.arange(len(raw)), byte_lengths).astype(np.uint64)
        is_sep = np.concatenate([[0], np.cumsum(blob == 0)])
        out = []
        for n in CHAR_NGRAMS:
            count = blob.size - n + 1
            if count <= 0:
                continue
            h = np.full(count, np.uint64(n), dtype=np.uint64)
            for k in range(n):
                h = h * np.uint64(257) + blob[k : k + count]
            valid = (is_sep[n : n + count] - is_sep[:count]) == 0
            hashed = _mix(h[valid] ^ _SALT_CHAR) & np.uint64(self.n_hash - 1)
            out.append((byte_rows[:count][valid] << np.uint64(HASH_BITS)) | hashed)
        return np.concatenate(out) if out else np.zeros(0, np.uint64)

    def _count(self, keys: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        unique, counts = np.unique(keys, return_counts=True)
        rows = (unique >> np.uint64(HASH_BITS)).astype(np.int64)
        cols = (unique & np.uint64(self.n_hash - 1)).astype(np.int64)
        weights = (1.0 + np.log(counts)).astype(np.float32)
        norms = np.sqrt(
            np.bincount(rows, weights=weights.astype(np.float64) ** 2, minlength=n_rows)
        )
        values: np.ndarray = weights / np.maximum(norms[rows], 1e-9).astype(np.float32)
        return rows, cols, values


def linear_scores(
    dense: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    values: np.ndarray,
    dense_weights: np.ndarray,
    sparse_weights: np.ndarray,
    bias: np.ndarray,
) -> np.ndarray:
    """Logits (n, heads) of linear heads over [dense, sparse] features."""
    logits = dense @ dense_weights + bias
    if values.size:
        contrib = values[:, None] * sparse_weights[cols].astype(np.float32)
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        present = rows[starts]
        logits[present] += np.add.reduceat(contrib, starts, axis=0)
    return logits


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


_CACHE: dict[pathlib.Path, HarmModel] = {}
_CACHE_LOCK = threading.Lock()


class HarmModel:
    """Scores texts for the four harm categories, any harm, prompt attacks and indirect attacks."""

    def __init__(self, directory: pathlib.Path):
        self.directory = directory
        self.featurizer = Featurizer.from_directory(directory)
        with np.load(directory / "heads.npz") as data:
            self.heads = [str(h) for h in data["heads"]]
            self.dense_weights = data["dense_weights"].astype(np.float32)
            self.sparse_weights = data["sparse_weights"]
            self.bias = data["bias"].astype(np.float32)
        manifest = json.loads((directory / "manifest.json").read_text())
        self.model_version: str = manifest["model_version"]
        self.severity_thresholds = {
            c: np.asarray(t, dtype=np.float64) for c, t in manifest["severity_thresholds"].items()
        }
        self.attack_threshold = float(manifest["attack_threshold"])
        self.indirect_threshold = float(manifest["indirect_threshold"])

    @classmethod
    def load(cls, directory: pathlib.Path | None = None) -> HarmModel:
        """Load once per directory; later calls return the same (read-only) instance."""
        directory = pathlib.Path(directory or ARTIFACTS_DIR).resolve()
        with _CACHE_LOCK:
            if directory not in _CACHE:
                _CACHE[directory] = cls(directory)
            return _CACHE[directory]

    def score(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        texts = list(texts)
        if not texts:
            return {h: np.zeros(0, np.float64) for h in HEADS}
        features = self.featurizer.transform(texts)
        probs = sigmoid(
            linear_scores(*features, self.dense_weights, self.sparse_weights, self.bias)
        )
        return {h: probs[:, i].astype(np.float64) for i, h in enumerate(self.heads)}

    def severity(self, category: str, scores: np.ndarray) -> np.ndarray:
        """Severity 0..7: the number of fitted thresholds the score reaches (monotonic)."""
        thresholds = self.severity_thresholds[category]
        return np.searchsorted(thresholds, np.asarray(scores), side="right").astype(np.int64)

    def attack_detected(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores) >= self.attack_threshold

    def indirect_detected(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores) >= self.indirect_threshold

    def detect_language(self, texts: Sequence[str]) -> list[str]:
        return [detect_language(t) for t in texts]


# --- language identification -------------------------------------------------------------
# Script ranges decide most non-Latin languages; Latin-script languages are told apart by
# frequent function words and a few letters. Small and fast; "und" when the evidence is thin.

_STOPWORDS = {
    # Only words that are frequent in one language and rare in the others listed here.
    "en": "the and is are was to of that it you for with this not have what how be on do i "
    "my me can your will would please a an he she they we so just all at if but like get "
    "im dont u ur who when about them their there been from or",
    "de": "der die das und ist nicht ich du sie ein eine zu mit auf für von den dem wie was "
    "auch sich es wir ihr mir mich bitte oder aber sind nur noch",
    "es": "el los las y es que del en un una por para con pero más qué cómo esta este "
    "muy porque también mi tu su lo se",
    "fr": "le les et est que des un une pour avec ne pas je tu il vous nous ce qui dans sur "
    "mon ton son au aux cette mais",
    "it": "il lo gli e è che di da un una per con non mi ti si sono come questo della del "
    "nel ho anche ma perché",
    "pt": "os é que do da em um uma para com não eu você como mais isso meu minha na "
    "uma são também mas",
    "nl": "het een en dat van niet ik zijn met voor op wat hoe maar ook er",
}
_STOPWORD_SETS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_LETTER_HINTS = {"ß": "de", "ä": "de", "ö": "de", "ü": "de", "ñ": "es", "¿": "es", "¡": "es",
                 "ç": "fr", "ã": "pt", "õ": "pt", "ê": "pt", "è": "it", "ò": "it", "ì": "it",
                 "œ": "fr", "û": "fr", "î": "fr"}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


_SCRIPTS = {
    script: re.compile(pattern)
    for script, pattern in (
        ("kana", "[\u3040-\u30ff]"),
        ("han", "[\u4e00-\u9fff\u3400-\u4dbf]"),
        ("ko", "[\uac00-\ud7af\u1100-\u11ff]"),
        ("ru", "[\u0400-\u04ff]"),
        ("ar", "[\u0600-\u06ff]"),
        ("he", "[\u0590-\u05ff]"),
        ("el", "[\u0370-\u03ff]"),
        ("th", "[\u0e00-\u0e7f]"),
        ("hi", "[\u0900-\u097f]"),
    )
}
_LETTER = re.compile(r"[^\W\d_]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _script_counts(text: str) -> dict[str, int]:
    """Letters per script; regular expressions count in C, a Python loop per character did not."""
    if text.isascii():
        latin = len(_ASCII_LETTER.findall(text))
        return {"latin": latin} if latin else {}
    counts = {script: len(pattern.findall(text)) for script, pattern in _SCRIPTS.items()}
    counts = {script: n for script, n in counts.items() if n}
    # Latin is what remains of the letters once the other scripts are counted.
    latin = len(_LETTER.findall(text)) - sum(counts.values())
    if latin > 0:
        counts["latin"] = latin
    return counts


def detect_language(text: str) -> str:
    counts = _script_counts(text[:2000])
    total = sum(counts.values())
    if total < 2:
        return "und"
    if counts.get("kana", 0) >= max(1, 0.05 * total):
        return "ja"
    script, n = max(counts.items(), key=lambda kv: kv[1])
    if script == "han":
        return "zh"
    if script != "latin":
        return script if n >= 0.5 * total else "und"
    words = [w.lower() for w in _WORD.findall(unicodedata.normalize("NFC", text[:2000]))]
    scores = dict.fromkeys(_STOPWORD_SETS, 0.0)
    for word in words:
        for lang, stopwords in _STOPWORD_SETS.items():
            if word in stopwords:
                scores[lang] += 1.0
        for ch in word:
            if ch in _LETTER_HINTS:
                scores[_LETTER_HINTS[ch]] += 0.5
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 1.0 or top <= second:
        return "und"
    return best
