"""Binary classification metrics in numpy (no scikit-learn at run time).

Definitions follow the usual conventions: average precision is the step-wise area under the
precision-recall curve (sum over positives of precision at each distinct score, weighted by the
recall gained), ROC AUC is the probability that a random positive outscores a random negative
(ties count one half).
"""

from __future__ import annotations

import numpy as np


def _validate(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    if labels.shape != scores.shape:
        raise ValueError("labels and scores must have the same shape")
    return labels, scores


def precision_recall_at(labels, scores, threshold: float) -> tuple[float, float]:
    """Precision and recall when predicting positive for score >= threshold."""
    labels, scores = _validate(labels, scores)
    predicted = scores >= threshold
    true_positives = int(np.sum(predicted & (labels == 1)))
    n_predicted = int(predicted.sum())
    n_positive = int((labels == 1).sum())
    precision = true_positives / n_predicted if n_predicted else float("nan")
    recall = true_positives / n_positive if n_positive else float("nan")
    return precision, recall


def average_precision(labels, scores) -> float:
    labels, scores = _validate(labels, scores)
    n_positive = int((labels == 1).sum())
    if n_positive == 0:
        return float("nan")
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_labels = scores[order], labels[order]
    true_positives = np.cumsum(sorted_labels == 1)
    # Only the last index of each run of tied scores is a real operating point.
    last_of_tie = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    tp = true_positives[last_of_tie]
    predicted = np.flatnonzero(last_of_tie) + 1
    precision = tp / predicted
    recall_gain = np.diff(np.r_[0, tp]) / n_positive
    return float(np.sum(precision * recall_gain))


def roc_auc(labels, scores) -> float:
    labels, scores = _validate(labels, scores)
    n_positive = int((labels == 1).sum())
    n_negative = int((labels == 0).sum())
    if n_positive == 0 or n_negative == 0:
        return float("nan")
    ranks = _average_ranks(scores)
    positive_rank_sum = ranks[labels == 1].sum()
    return float(
        (positive_rank_sum - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)
    )


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:], values.size] - 1
    average = (first + last) / 2 + 1
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = average[group]
    return ranks


def threshold_table(labels, scores, thresholds=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)):
    """Rows of (threshold, precision, recall, flagged fraction) for the given thresholds."""
    labels, scores = _validate(labels, scores)
    rows = []
    for threshold in thresholds:
        precision, recall = precision_recall_at(labels, scores, threshold)
        rows.append((threshold, precision, recall, float(np.mean(scores >= threshold))))
    return rows


def best_f1_threshold(labels, scores) -> float:
    """The score threshold that maximises F1 (ties: the higher threshold)."""
    labels, scores = _validate(labels, scores)
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_labels = scores[order], labels[order]
    tp = np.cumsum(sorted_labels == 1)
    predicted = np.arange(1, scores.size + 1)
    n_positive = max(int((labels == 1).sum()), 1)
    f1 = 2 * tp / (predicted + n_positive)
    last_of_tie = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    f1 = np.where(last_of_tie, f1, -1)
    return float(sorted_scores[int(np.argmax(f1))])
