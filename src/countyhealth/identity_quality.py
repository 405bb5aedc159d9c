"""How good the EMPI is, measured against a known truth (the generator's truth.json).

Pairwise, as record-linkage work measures it: every two source identities either belong to
one person or not. Precision: of the pairs the EMPI put together, the share that are one
person; recall: of the pairs that are one person, the share the EMPI put together. Counted
from the contingency of (predicted person, true person) so it costs O(identities), not
O(identities²).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class LinkQuality:
    identities: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def _pairs(counts: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in counts.values())


def pairwise_quality(predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable]
                     ) -> LinkQuality:
    """`predicted` and `truth` map each source identity to its person (any label); only
    identities present in both are compared."""
    common = predicted.keys() & truth.keys()
    return LinkQuality(
        identities=len(common),
        predicted_pairs=_pairs(Counter(predicted[i] for i in common)),
        true_pairs=_pairs(Counter(truth[i] for i in common)),
        correct_pairs=_pairs(Counter((predicted[i], truth[i]) for i in common)),
    )
