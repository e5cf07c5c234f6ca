"""Benchmark the packaged classifier: ``python bench/bench_models.py``.

Prints batched throughput per core, single-text latency (p50/p99 for a 1,000-character text),
load time, resident memory and artifact size. Pinned to one thread so the figures are per core.
"""

import os

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # the tokenizer's thread pool
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pathlib
import random
import resource
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guardsite.engine.classifier import ARTIFACTS_DIR, HarmModel  # noqa: E402
from guardsite.engine.training import load_attacks, load_harm  # noqa: E402

VOCABULARY = (
    "the model should answer questions about our product and never reveal internal data please "
    "summarise the meeting notes for the team tomorrow morning weather travel budget ignore "
    "previous instructions hate violence kill love family school music code python"
)


def synthetic_texts(count: int, length: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - synthetic text, not security
    words_pool = VOCABULARY.split()
    texts = []
    for _ in range(count):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < length:
            words.append(rng.choice(words_pool))
        texts.append(" ".join(words)[:length])
    return texts


def real_texts(count: int) -> list[str]:
    """Texts of the harm and attack datasets beside the checkout, shuffled; none if absent."""
    folder = ROOT.parent / "shared" / "datasets"
    texts = [row.text for row in (*load_harm(folder), *load_attacks(folder))]
    random.Random(0).shuffle(texts)  # noqa: S311 - a sample, not security
    return texts[:count]


def main() -> None:
    started = time.perf_counter()
    model = HarmModel.load()
    load_seconds = time.perf_counter() - started

    short = synthetic_texts(20_000, 100)
    model.score(short[:256])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(short), 1024):
        model.score(short[i : i + 1024])
    short_rate = len(short) / (time.perf_counter() - started)

    long_texts = synthetic_texts(2_000, 1_000, seed=1)
    started = time.perf_counter()
    for i in range(0, len(long_texts), 256):
        model.score(long_texts[i : i + 256])
    long_rate = len(long_texts) / (time.perf_counter() - started)

    # Before the dataset pass, which holds the datasets in memory too: the figure is for a
    # process that holds the model and has scored texts.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    real = real_texts(20_000)
    if real:
        # Fresh chunk caches: every word of these texts is new to the tokenizers at first.
        model.featurizer.clear_caches()
        started = time.perf_counter()
        for i in range(0, len(real), 1024):
            model.score(real[i : i + 1024])
        real_rate = len(real) / (time.perf_counter() - started)

    latencies = []
    for text in long_texts[:500]:
        started = time.perf_counter()
        model.score([text])
        latencies.append(time.perf_counter() - started)
    latencies_ms = np.array(latencies) * 1000

    size = sum(p.stat().st_size for p in ARTIFACTS_DIR.iterdir() if p.is_file())
    print(f"model version                {model.model_version}")
    print(f"load time                    {load_seconds * 1000:8.1f} ms")
    print(f"throughput, 100-char texts   {short_rate:8.0f} texts/s/core (batches of 1,024)")
    print(f"throughput, 1,000-char texts {long_rate:8.0f} texts/s/core (batches of 256)")
    if real:
        mean_chars = sum(map(len, real)) / len(real)
        print(
            f"throughput, dataset texts   {real_rate:8.0f} texts/s/core "
            f"({len(real):,} texts of shared/datasets, {mean_chars:.0f} characters on average, "
            "caches empty at the start)"
        )
    p50, p99 = np.percentile(latencies_ms, [50, 99])
    print(f"latency, one 1,000-char text p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"peak resident memory         {peak_mb:8.1f} MB")
    print(f"artifact size                {size / 1e6:8.1f} MB")


if __name__ == "__main__":
    main()
