"""Trained harm and prompt-attack classifiers: numpy and tokenizers only.

Features (shared by training and inference, so they cannot drift apart):

* two static sentence embeddings, each the mean of per-token vectors (int8 with a per-token
  scale), L2-normalised: an English one distilled from all-MiniLM-L6-v2 with model2vec, and a
  multilingual one distilled from Universal Sentence Encoder Multilingual v3 (sixteen
  languages in one space, so what the heads learn from English data carries over);
* hashed sparse n-grams: word-piece unigrams and bigrams plus byte 3..5-grams of the
  lower-cased text (byte n-grams cover non-English text the English word-piece vocabulary
  splits badly), log-scaled counts, L2-normalised.

Every head is linear over ``[embedding, hashed n-grams]``; its weights are numpy arrays in
``heads.npz``. ``any``, ``attack`` and ``indirect`` are logistic; each harm category is a softmax
over its four levels, and its score is the expected level over three (``head_outputs``).
Severity is a per-category step function of that score whose thresholds were fitted by isotonic
regression on labelled severity examples.
"""

from __future__ import annotations

import array
import json
import pathlib
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import cast

import numpy as np
from sentencepiece import SentencePieceProcessor  # type: ignore[import-untyped]
from tokenizers import Tokenizer

ARTIFACTS_DIR = pathlib.Path(__file__).resolve().parent / "artifacts"
CATEGORIES = ("hate", "sexual", "violence", "self_harm")
HEADS = (*CATEGORIES, "any", "attack", "indirect")
LEVELS = ("safe", "low", "medium", "high")

# Longer texts are cut here: it bounds latency; the analyzer chunks long documents itself.
MAX_CHARS = 4000
HASH_BITS = 18
CHAR_NGRAMS = (3, 4, 5)

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_SALT_UNIGRAM = np.uint64(0x9E3779B97F4A7C15)
_SALT_BIGRAM = np.uint64(0xC2B2AE3D27D4EB4F)
_SALT_CHAR = np.uint64(0x165667B19E3779F9)


def _mix_inplace(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads structured keys evenly over the hash space.

    Overwrites x (uint64) and returns it: one scratch array instead of a new array per step.
    """
    tmp = np.empty_like(x)
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        x ^= np.right_shift(x, np.uint64(shift), out=tmp)
        x *= np.uint64(factor)
    x ^= np.right_shift(x, np.uint64(31), out=tmp)
    return x


_WHITESPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    return _WHITESPACE.sub(" ", text[:MAX_CHARS]).strip()


class _ChunkEncoder:
    """A tokenizer's ids for many texts, mostly from a cache of whitespace-separated chunks.

    The same ids as encoding each cleaned text whole for the two tokenizers here: their
    normalisers, pre-tokenisers and models all work within whitespace-separated chunks, so a
    text's ids are its chunks' ids one after the other (cut at ``max_tokens``, if given). The
    one exception: where two segmentations of a chunk score the same, SentencePiece may break
    the tie differently in context (three apostrophes as two and one, or one and two; 159 of
    the 111k texts of the datasets, all in runs of punctuation).
    Encoding costs most of the featurizer's time for long texts; the cache makes it cheap.
    ``encode_batch`` maps chunks to their ids, without special tokens.
    """

    # Token ids of chunks seen before: chunks this short only, and at most this many, so the
    # cache stays within a few tens of MB.
    CACHE_SIZE = 200_000
    CACHE_MAX_CHARS = 40
    _ID_BYTES = array.array("i").itemsize

    def __init__(
        self, encode_batch: Callable[[list[str]], Iterable[Sequence[int]]], max_tokens: int | None
    ):
        self.encode_batch = encode_batch
        self.max_tokens = max_tokens
        # chunk -> its token ids as native int32 bytes (array("i")); values are never changed.
        self._cache: dict[str, bytes] = {}

    def encode(self, chunked: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """(token ids of all texts concatenated, ids per text) for texts given as chunks."""
        cache = self._cache
        get = cast("Callable[[str], bytes]", cache.get)  # None for a miss: join raises TypeError
        encoded: list[bytes | None] = []
        for chunks in chunked:
            try:
                encoded.append(b"".join(map(get, chunks)))
            except TypeError:  # a chunk not in the cache: done below
                encoded.append(None)
        retry = [i for i, ids in enumerate(encoded) if ids is None]
        if retry:
            # A local copy: another thread may clear the cache meanwhile.
            pending = {c for i in retry for c in chunked[i]}
            found = {c: ids for c in pending if (ids := cache.get(c)) is not None}
            found.update(self._encode_chunks(pending - found.keys()))
            for i in retry:
                encoded[i] = b"".join(map(found.__getitem__, chunked[i]))
        ids_bytes = cast("list[bytes]", encoded)
        if self.max_tokens is not None:  # the tokenizer's truncation
            limit = self.max_tokens * self._ID_BYTES
            ids_bytes = [ids[:limit] for ids in ids_bytes]
        lengths = np.fromiter(map(len, ids_bytes), np.int64, len(ids_bytes)) // self._ID_BYTES
        all_ids = np.frombuffer(b"".join(ids_bytes), np.intc).astype(np.int64)
        return all_ids, lengths

    def _encode_chunks(self, chunks: set[str]) -> dict[str, bytes]:
        """Token ids of chunks as int32 bytes, remembering the short ones in the cache."""
        todo = list(chunks)
        encodings = self.encode_batch(todo)
        new = {c: array.array("i", ids).tobytes() for c, ids in zip(todo, encodings, strict=True)}
        # Chunks longer than max_tokens are cut like texts: harmless, as only a text's first
        # max_tokens count. A race with another thread only drops entries, never corrupts them.
        cache, short = self._cache, self.CACHE_MAX_CHARS
        if len(cache) + len(new) > self.CACHE_SIZE:
            cache.clear()
        if len(new) <= self.CACHE_SIZE:
            cache.update((c, ids) for c, ids in new.items() if len(c) <= short)
        return new


def _pooled(ids: np.ndarray, lengths: np.ndarray, vectors: np.ndarray, scale: np.ndarray):
    """L2-normalised sum of each text's token vectors (int8 rows times a per-token scale).

    One vector-matrix product per text, with the tokens' scales as the vector: numpy's reduceat
    over axis 0 of the gathered (tokens, dim) array is about 40x slower, and dequantising the
    table at load would cost four times its memory.
    """
    dense = np.zeros((lengths.size, vectors.shape[1]), np.float32)
    ends = np.cumsum(lengths)
    token_scale = scale.take(ids)
    for i, (start, end) in enumerate(zip((ends - lengths).tolist(), ends.tolist(), strict=True)):
        if end > start:
            rows = vectors.take(ids[start:end], axis=0).astype(np.float32)
            dense[i] = token_scale[start:end] @ rows
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return dense / np.maximum(norms, 1e-9)


class Featurizer:
    """Turns texts into (dense embeddings, sparse hashed n-gram) features."""

    MAX_TOKENS = 512  # the English word-piece tokenizer's truncation

    def __init__(
        self,
        tokenizer: Tokenizer,
        vectors: np.ndarray,
        scale: np.ndarray,
        multilingual: tuple[SentencePieceProcessor, np.ndarray, np.ndarray],
    ):
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.MAX_TOKENS)

        def encode_words(chunks: list[str]) -> list[list[int]]:
            return [e.ids for e in tokenizer.encode_batch(chunks, add_special_tokens=False)]

        self.words = _ChunkEncoder(encode_words, self.MAX_TOKENS)
        self.vectors, self.scale = vectors, scale.astype(np.float32)
        pieces, ml_vectors, ml_scale = multilingual
        # SentencePiece's own Unigram segmentation; texts are cut at MAX_CHARS already.
        self.pieces = _ChunkEncoder(pieces.encode, None)
        self.ml_vectors, self.ml_scale = ml_vectors, ml_scale.astype(np.float32)
        self.dim = self.vectors.shape[1] + self.ml_vectors.shape[1]
        self.n_hash = 1 << HASH_BITS

    @classmethod
    def from_directory(cls, directory: pathlib.Path) -> Featurizer:
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        # One thread: the chunk cache leaves small batches, and workers are scaled by process.
        pieces = SentencePieceProcessor(
            model_file=str(directory / "multilingual.model"), num_threads=1
        )
        with (
            np.load(directory / "embedding.npz") as data,
            np.load(directory / "multilingual.npz") as ml,
        ):
            return cls(
                tokenizer, data["vectors"], data["scale"], (pieces, ml["vectors"], ml["scale"])
            )

    @property
    def multilingual_dim(self) -> int:
        """The multilingual embedding's width: the last columns of the dense features."""
        return int(self.ml_vectors.shape[1])

    def clear_caches(self) -> None:
        """Forget the token ids of words seen before (for measuring cold starts)."""
        self.words._cache.clear()
        self.pieces._cache.clear()

    def transform(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return (dense (n, dim), rows, cols, values) with rows sorted ascending."""
        chunked = [t[:MAX_CHARS].split() for t in texts]  # str.split() is clean_text's \s+
        cleaned = [" ".join(chunks) for chunks in chunked]
        all_ids, lengths = self.words.encode(chunked)
        ml_ids, ml_lengths = self.pieces.encode(chunked)
        dense = np.hstack(
            [
                _pooled(all_ids, lengths, self.vectors, self.scale),
                _pooled(ml_ids, ml_lengths, self.ml_vectors, self.ml_scale),
            ]
        )

        ends = np.cumsum(lengths)
        starts, ends_list = (ends - lengths).tolist(), ends.tolist()
        token_rows = np.repeat(np.arange(len(texts)), lengths)
        parts = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))]
        for lo, hi in self._blocks(cleaned):
            tokens = slice(starts[lo], ends_list[hi - 1])
            keys = self._block_keys(all_ids[tokens], token_rows[tokens] - lo, cleaned[lo:hi])
            block_rows, cols, values = self._count(keys, hi - lo)
            parts.append((block_rows + lo, cols, values))
        rows, cols, values = (np.concatenate(p) for p in zip(*parts, strict=True))
        return dense, rows, cols, values

    # Keys are uint32 ``row << HASH_BITS | hash`` within a block of at most BLOCK_TEXTS texts
    # (so they stay below _NO_KEY); a block of about BLOCK_CHARS characters keeps the arrays
    # in cache, which is several times faster than one pass over a large batch.
    BLOCK_TEXTS = 4096
    BLOCK_CHARS = 1 << 14
    _NO_KEY = np.uint32(0xFFFFFFFF)  # n-gram windows across texts: sorted last, then dropped

    def _blocks(self, cleaned: list[str]) -> list[tuple[int, int]]:
        blocks, start, chars = [], 0, 0
        for i, text in enumerate(cleaned):
            full = chars + len(text) > self.BLOCK_CHARS or i - start >= self.BLOCK_TEXTS
            if full and i > start:
                blocks.append((start, i))
                start, chars = i, 0
            chars += len(text)
        if cleaned:
            blocks.append((start, len(cleaned)))
        return blocks

    def _block_keys(self, ids: np.ndarray, rows: np.ndarray, cleaned: list[str]) -> np.ndarray:
        """uint32 keys ``row << HASH_BITS | hash`` of one block's texts (rows from 0).

        Word-piece unigrams and bigrams of ``ids`` (``rows``: the text of each id) and byte
        n-grams of the lower-cased texts, joined with a NUL separator. Bigrams across two texts
        and byte windows that contain a NUL get _NO_KEY. All the hashes are mixed in one array.
        """
        raw = [t.lower().encode("utf-8") for t in cleaned]
        blob = np.frombuffer(b"\x00".join(raw) + b"\x00", dtype=np.uint8)
        byte_row_keys = np.repeat(
            np.arange(len(raw), dtype=np.uint32) << np.uint32(HASH_BITS),
            np.fromiter((len(r) + 1 for r in raw), np.int64, len(raw)),
        )
        grams = [n for n in range(1, max(CHAR_NGRAMS) + 1) if blob.size - n + 1 > 0]
        sizes = [ids.size, max(ids.size - 1, 0)]
        sizes += [blob.size - n + 1 for n in grams if n in CHAR_NGRAMS]
        offsets = np.cumsum([0, *sizes]).tolist()
        hashes = np.empty(offsets[-1], np.uint64)
        row_keys = np.empty(offsets[-1], np.uint32)

        uids = ids.astype(np.uint64)
        np.bitwise_xor(uids, _SALT_UNIGRAM, out=hashes[: ids.size])
        row_keys[: ids.size] = rows
        row_keys[: ids.size] <<= np.uint32(HASH_BITS)
        bigram = hashes[offsets[1] : offsets[2]]
        np.multiply(uids[:-1], np.uint64(40503), out=bigram)
        bigram += uids[1:]
        bigram ^= _SALT_BIGRAM
        row_keys[offsets[1] : offsets[2]] = row_keys[: max(ids.size - 1, 0)]
        invalid = [offsets[1] + np.flatnonzero(rows[1:] != rows[:-1])]

        # The hash of an n-byte window is n * 257**n + sum(byte[k] * 257**(n-1-k)) (mod 2**64);
        # poly, the sum, is extended by one byte per n.
        nul = np.flatnonzero(blob == 0)
        b = blob.astype(np.uint64)
        poly, segment = b, 2
        for n in grams:
            if n > 1:
                poly = poly[:-1] * np.uint64(257)
                poly += b[n - 1 :]
            if n not in CHAR_NGRAMS:
                continue
            start, end = offsets[segment], offsets[segment + 1]
            segment += 1
            window = hashes[start:end]
            np.add(poly, np.uint64(n * 257**n % (1 << 64)), out=window)
            window ^= _SALT_CHAR
            row_keys[start:end] = byte_row_keys[: end - start]
            starts = (nul[:, None] - np.arange(n)).ravel()
            invalid.append(start + starts[(starts >= 0) & (starts < end - start)])

        keys = _mix_inplace(hashes).astype(np.uint32)
        keys &= np.uint32(self.n_hash - 1)
        keys |= row_keys
        keys[np.concatenate(invalid)] = self._NO_KEY
        return keys

    def _count(self, keys: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Counts of the distinct keys (uint32, sorted in place), as L2-normalised log counts."""
        keys.sort()
        keys = keys[: np.searchsorted(keys, self._NO_KEY)]
        boundary = np.empty(keys.size + 1, bool)
        boundary[0] = boundary[-1] = True
        np.not_equal(keys[1:], keys[:-1], out=boundary[1:-1])
        first = np.flatnonzero(boundary)
        unique, counts = keys.take(first[:-1]), np.diff(first)
        # Each row's keys are contiguous (sorted), so rows and per-row sums need no gathers.
        row_bounds = np.searchsorted(unique, np.arange(n_rows + 1, dtype=np.uint32) << HASH_BITS)
        row_sizes = np.diff(row_bounds)
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), row_sizes)
        cols = (unique & np.uint32(self.n_hash - 1)).astype(np.int64)
        # 1 + log(count) from a table: counts are small, and the table holds the same floats.
        table = np.zeros(int(counts.max(initial=1)) + 1, np.float32)
        table[1:] = 1.0 + np.log(np.arange(1, table.size))
        weights = table.take(counts)
        # Sum of squares per row by reduceat: several times faster than bincount here.
        nonempty = np.flatnonzero(row_sizes)
        norms = np.zeros(n_rows, np.float64)
        norms[nonempty] = np.add.reduceat(
            np.square(weights, dtype=np.float64), row_bounds[nonempty]
        )
        np.sqrt(norms, out=norms)
        values: np.ndarray = weights / np.repeat(
            np.maximum(norms, 1e-9).astype(np.float32), row_sizes
        )
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
        # reduceat over axis 0 of the (entries, heads) products is very slow; over one head's
        # contiguous products it is fast and sums in the same order (the same results). So the
        # products are transposed, in groups of whole rows with about 64k entries that stay in
        # cache. HarmModel keeps float32 weights, so there is no conversion per call.
        weights = np.asarray(sparse_weights, dtype=np.float32)
        new_row = np.empty(rows.size, bool)
        new_row[0] = True
        np.not_equal(rows[1:], rows[:-1], out=new_row[1:])
        starts = np.flatnonzero(new_row)
        sums = np.empty((starts.size, weights.shape[1]), np.float32)
        cuts = np.searchsorted(starts, np.arange(1 << 16, values.size, 1 << 16)).tolist()
        edges = sorted({0, *cuts, starts.size})
        bounds = [*starts.tolist(), values.size]
        for a, b in pairwise(edges):
            lo, hi = bounds[a], bounds[b]
            contrib = weights.take(cols[lo:hi], axis=0).T.copy()  # (heads, entries)
            contrib *= values[lo:hi]
            for h, head in enumerate(contrib):
                sums[a:b, h] = np.add.reduceat(head, starts[a:b] - lo)
        logits[rows[starts]] += sums
    return logits


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


WINDOW_MIN_CHARS = 160  # shorter texts are scored whole only
_SENTENCE = re.compile(r"(?<=[.!?;。！？；])\s+|\n+|(?<=[。！？；])")


def sentence_windows(text: str) -> list[str]:
    """The sentences of a long text, each at least 20 characters (short ones join the next),
    for scoring next to the whole text. Empty for texts under ``WINDOW_MIN_CHARS``."""
    text = text[:MAX_CHARS]
    if len(text) < WINDOW_MIN_CHARS:
        return []
    windows, current = [], ""
    for sentence in _SENTENCE.split(text):
        current = f"{current} {sentence}".strip() if current else sentence.strip()
        if len(current) >= 20:
            windows.append(current)
            current = ""
    if current:
        if windows:
            windows[-1] = f"{windows[-1]} {current}"
        else:
            windows.append(current)
    return windows if len(windows) > 1 else []


def level_head(category: str, level: str) -> str:
    return f"{category}:{level}"


def expected_level(level_logits: np.ndarray) -> np.ndarray:
    """A category's score from its level heads' logits (rows x safe, low, medium, high): the
    softmax's expected level over three."""
    block = level_logits.astype(np.float64)
    block -= block.max(axis=1, keepdims=True)
    probs = np.exp(block)
    probs /= probs.sum(axis=1, keepdims=True)
    return probs @ np.arange(len(LEVELS)) / (len(LEVELS) - 1)


def head_outputs(logits: np.ndarray, heads: Sequence[str]) -> np.ndarray:
    """Turn the logits of the stored heads into the public scores, columns in ``HEADS`` order.

    ``any``, ``attack`` and ``indirect`` are logistic heads. A category has four heads, one per
    level (``hate:safe`` .. ``hate:high``) of a softmax; its score is the expected level over
    three, so it is 0 for a surely safe text, 1 for a surely high one and grows with severity.
    """
    column = {head: i for i, head in enumerate(heads)}
    out = np.empty((logits.shape[0], len(HEADS)), np.float64)
    for h, head in enumerate(HEADS):
        if head in CATEGORIES:
            out[:, h] = expected_level(logits[:, [column[level_head(head, lv)] for lv in LEVELS]])
        else:
            out[:, h] = sigmoid(logits[:, column[head]])
    return out


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
            # float32 once here, not per linear_scores call (stored as float16).
            self.sparse_weights = data["sparse_weights"].astype(np.float32)
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
        # A long text is also scored sentence by sentence, and the harm heads keep the highest
        # score: a mean-pooled embedding dilutes one threat among paragraphs of harmless text.
        # The attack heads were trained on whole prompts and documents and read them whole.
        windows = [sentence_windows(text) for text in texts]
        owners = np.repeat(np.arange(len(texts)), [len(w) for w in windows])
        batch = texts + [piece for pieces in windows for piece in pieces]
        features = self.featurizer.transform(batch)
        logits = linear_scores(*features, self.dense_weights, self.sparse_weights, self.bias)
        outputs = head_outputs(logits, self.heads)
        scores = outputs[: len(texts)]
        if owners.size:
            harm = list(range(len(CATEGORIES) + 1))  # the categories and "any"
            windowed = scores[:, harm]
            np.maximum.at(windowed, owners, outputs[len(texts) :, harm])
            scores[:, harm] = windowed
        return {h: scores[:, i] for i, h in enumerate(HEADS)}

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
    counts = Counter(words)
    letters = "".join(words)
    scores = {
        lang: float(sum(counts[w] for w in stopwords.intersection(counts)))
        for lang, stopwords in _STOPWORD_SETS.items()
    }
    for ch, lang in _LETTER_HINTS.items():
        scores[lang] += 0.5 * letters.count(ch)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 1.0 or top <= second:
        return "und"
    return best
