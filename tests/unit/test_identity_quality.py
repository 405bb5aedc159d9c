from countyhealth.identity_quality import pairwise_quality


def test_pairwise_precision_and_recall_by_hand():
    truth = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 3}
    # the EMPI split c off and wrongly joined d and e
    predicted = {"a": "x", "b": "x", "c": "y", "d": "z", "e": "z", "only_here": "q"}
    q = pairwise_quality(predicted, truth)
    assert q.identities == 5
    assert (q.true_pairs, q.predicted_pairs, q.correct_pairs) == (3, 2, 1)  # ab ac bc / ab de
    assert q.precision == 0.5 and q.recall == 1 / 3


def test_perfect_and_empty():
    assert pairwise_quality({"a": 1, "b": 1}, {"a": 7, "b": 7}).precision == 1.0
    empty = pairwise_quality({}, {})
    assert empty.precision == 1.0 and empty.recall == 1.0
