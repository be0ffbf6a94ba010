"""Figures for sentiment models: binary accuracy / ROC-AUC on two-class sets, macro-F1, negative
share and expected calibration error on three-class sets. Probabilities are (n, 3) arrays of
negative, neutral, positive; labels are classes 0 negative, 1 neutral, 2 positive."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sentiment.scoring import polarity


def binary_metrics(probabilities: np.ndarray, labels: Sequence[int]) -> dict:
    """On a negative/positive set (labels 0 or 2, or 0/1 meaning negative/positive)."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    truth = (np.asarray(labels) > 0).astype(int)
    score = polarity(probabilities)
    return {"accuracy": round(float(accuracy_score(truth, score > 0.5)), 4),
            "roc_auc": round(float(roc_auc_score(truth, score)), 4), "n": len(truth)}


def expected_calibration_error(probabilities: np.ndarray, labels: Sequence[int], bins: int = 10) -> float:
    """Top-label ECE: |accuracy - confidence| averaged over equal-width confidence bins."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return round(float(error), 4)


def three_class_metrics(predicted: Sequence[str], probabilities: np.ndarray, labels: Sequence[int]) -> dict:
    """Macro-F1 of the labels as written (``predicted``: negative/neutral/positive/unknown),
    predicted vs true negative share, and the ECE of the probabilities."""
    from sklearn.metrics import accuracy_score, f1_score

    from sentiment.engines import CLASSES

    truth = [CLASSES[y] for y in labels]
    known = ~np.isnan(probabilities).any(axis=1)
    return {"macro_f1": round(float(f1_score(truth, predicted, labels=list(CLASSES), average="macro")), 4),
            "accuracy": round(float(accuracy_score(truth, predicted)), 4),
            "negative_share_predicted": round(float(np.mean([p == "negative" for p in predicted])), 4),
            "negative_share_true": round(float(np.mean([t == "negative" for t in truth])), 4),
            "ece": expected_calibration_error(probabilities[known], np.asarray(labels)[known]), "n": len(truth)}
