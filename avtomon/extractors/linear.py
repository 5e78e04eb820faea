"""A logistic scorer over named features, with weights shipped in `extractors/data/weights.yaml`.

Category salience and event parties are decided by a handful of features each (where a word stands,
what the companies of the text make, whether a sentence reports news or background). The weights are
fitted by `python -m avtomon.extractors.train` on an annotated gold file and written to the YAML file,
so the package needs no learning library at run time and every weight can be read and reviewed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from avtomon.extractors.resources import load_yaml


@dataclass(frozen=True)
class Linear:
    """sigmoid(bias + Σ weight·feature); unknown features weigh nothing."""

    weights: Mapping[str, float]
    threshold: float = 0.5

    def prob(self, features: Mapping[str, float]) -> float:
        z = self.weights.get("bias", 0.0) + sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def decide(self, features: Mapping[str, float]) -> bool:
        return self.prob(features) >= self.threshold


@cache
def model(name: str) -> Linear:
    """The shipped scorer `name` (a section of weights.yaml)."""
    section = load_yaml("weights.yaml")[name]
    return Linear(section["weights"], float(section.get("threshold", 0.5)))
