"""Engine cost figures: blocklist matching at 10 vs 10,000 terms, and full analysis when the
trained model is present. Run from the project root: ``python bench/bench_engine.py``."""

from __future__ import annotations

import pathlib
import random
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from guardsite.engine.analyzer import PARTS, Analyzer
from guardsite.engine.blocklist import CompiledBlocklist
from guardsite.engine.normalize import normalize
from guardsite.engine.protected import ProtectedIndex

SENTENCES = [
    "Our support team answers questions about billing, refunds and account security.",
    "Please describe the problem you saw, the steps that led to it, and what you expected.",
    "The quarterly report shows steady growth in every region except the far north.",
    "Customers who switched from Acme Corp mentioned faster shipping and clearer invoices.",
    "If the device does not start, hold the power button for ten seconds and try again.",
    "We never ask for your password by email; report suspicious messages to the team.",
]


def sample_text(length: int = 1000, seed: int = 7) -> str:
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    text = ""
    while len(text) < length:
        text += rng.choice(SENTENCES) + " "
    return text[:length]


def fake_words(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(count)]


def build_list(term_count: int, regex_count: int) -> CompiledBlocklist:
    terms = [*fake_words(term_count - 2, seed=term_count), "acme corp", "password"]
    items = [(f"t{n}", term, False) for n, term in enumerate(terms)]
    items += [(f"r{n}", rf"ticket-{n}\d{{4,}}", True) for n in range(regex_count)]
    return CompiledBlocklist.build("bench", "bench", items)


def percentiles_us(action, runs: int) -> tuple[float, float]:
    for _ in range(min(50, runs)):
        action()
    timings = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        action()
        timings.append((time.perf_counter_ns() - started) / 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


def report(label: str, figures: tuple[float, float]) -> None:
    print(f"{label:<58} p50 {figures[0]:9.1f} µs   p99 {figures[1]:9.1f} µs")


def bench_matchers(text: str) -> CompiledBlocklist:
    print(f"Blocklist matching on a {len(text)}-character text")
    report("normalise only", percentiles_us(lambda: normalize(text), 3000))
    small = build_list(10, 0)
    report("10 terms", percentiles_us(lambda: small.match(text), 3000))
    big = build_list(10_000, 100)
    report("10,000 terms + 100 regexes", percentiles_us(lambda: big.match(text), 3000))
    print(f"  matches found in the large list: {len(big.match(text))}")
    started = time.perf_counter()
    build_list(10_000, 100)
    print(
        f"  compiling 10,000 terms + 100 regexes: {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    return big


def load_model():
    try:
        from guardsite.engine.classifier import HarmModel

        return HarmModel.load()
    except (ImportError, FileNotFoundError, OSError) as exc:
        print(f"\nFull analysis skipped: the trained model is not available ({exc}).")
        return None


def protected_index() -> ProtectedIndex:
    index = ProtectedIndex()
    for n in range(200):
        index.add(f"w{n}", f"Work {n}", " ".join(fake_words(300, seed=1000 + n)))
    return index


def bench_analysis(model, text: str, blocklist: CompiledBlocklist) -> None:
    analyzer = Analyzer(model=model, protected_index=protected_index())
    documents = [sample_text(400, seed=3)]
    everything = PARTS

    def analyze_one():
        analyzer.analyze(text, "prompt", documents, [blocklist], everything)

    print(f"\nFull analysis ({model.model_version}), every model on, 10,000-term blocklist")
    report("one 1,000-character prompt with one document", percentiles_us(analyze_one, 300))

    batch = [sample_text(1000, seed=n) for n in range(64)]
    started = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        analyzer.analyze_batch(batch, "completion", None, [blocklist], everything)
    elapsed = time.perf_counter() - started
    print(
        f"  batched (64 x 1,000 chars, completions): {rounds * len(batch) / elapsed:,.0f} texts/s"
    )


def main() -> None:
    text = sample_text()
    blocklist = bench_matchers(text)
    model = load_model()
    if model is not None:
        bench_analysis(model, text, blocklist)


if __name__ == "__main__":
    main()
