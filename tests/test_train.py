"""The scorers' weights: fitted by plain logistic regression, reported with cross-validated figures."""

import numpy as np
import pytest

from avtomon.extractors import train
from avtomon.extractors.linear import Linear, model
from tests.conftest import shared_data


def test_fit_recovers_the_sign_of_each_feature() -> None:
    rng = np.random.default_rng(7)
    x = np.column_stack([np.ones(400), rng.normal(size=400), rng.normal(size=400), rng.normal(size=400)])
    y = (1.5 * x[:, 1] - 2.0 * x[:, 2] + 0.1 * rng.normal(size=400) > 0).astype(float)
    w = train.fit(x, y, lam=1.0)
    assert w[1] > 1 and w[2] < -1 and abs(w[3]) < 0.5


def test_cross_validation_scores_each_text_with_weights_fitted_without_it() -> None:
    samples = [train.Sample(i // 2, i, {"f": float(i % 2)}, bool(i % 2)) for i in range(40)]
    probs = train.cross_validate(samples, ["f"], 1.0)
    assert probs.shape == (40,) and ((probs > 0.5) == np.array([bool(i % 2) for i in range(40)])).all()
    assert train.score(samples, probs, 0.5, missed=2) == pytest.approx((1.0, 20 / 22, 2 * (20 / 22) / (1 + 20 / 22)))


def test_shipped_scorers_load_and_decide() -> None:
    for name in ("categories", "events"):
        scorer = model(name)
        assert isinstance(scorer, Linear) and 0 < scorer.threshold < 1 and "bias" in scorer.weights
    assert Linear({"bias": 0.0, "a": 2.0}).prob({"a": 1.0}) > Linear({"bias": 0.0, "a": 2.0}).prob({})


@pytest.mark.usefixtures("nlp")
def test_shipped_weights_are_what_the_code_fits_on_the_gold_files(capsys: pytest.CaptureFixture[str]) -> None:
    # a change of features or candidates without refitting would leave weights.yaml stale
    gold = [str(shared_data() / "gold" / "dev.jsonl"), str(shared_data() / "gold-example.jsonl")]
    assert train.main([*gold, "--check"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert out.count("cross-validated (10 folds by text)") == 2
    assert out.count("dev.jsonl: cross-validated") == 2  # each file's own figure, for both scorers
