"""Fit the weights of the logistic scorers (weights.yaml) on a gold file, and say how well they generalise.

    python -m avtomon.extractors.train ../shared/data/gold/dev.jsonl ../shared/data/gold-example.jsonl
    python -m avtomon.extractors.train ../shared/data/gold/dev.jsonl ../shared/data/gold-example.jsonl --write

The shipped weights are fitted on both files: the 120 dev stories and the reference article, all annotated
outside the project (the suite checks they are in step). The first line reports only; `--write` also
rewrites weights.yaml.

The extractors turn each gold text into candidates (a category of the text, a (type, company) event
pair) with a few named features; the gold file says which candidates are right. Weights are fitted by
L2-regularised logistic regression (Newton's method, numpy only). The figure to trust is the
cross-validated one: each text is scored by weights fitted without it (10 folds by text), which is
what the scorers will do on news they have never seen. The regularisation strength and the decision
threshold are chosen by that cross-validated F1, never by the in-sample one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

LAMBDAS = (0.3, 1.0, 3.0, 10.0)
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
FOLDS = 10


@dataclass
class Sample:
    text: int  # index of the gold text
    ident: Any  # what the candidate stands for (category key, (type, company) pair)
    features: dict[str, float]
    label: bool


def fit(x: np.ndarray, y: np.ndarray, lam: float, iterations: int = 30) -> np.ndarray:
    """L2-regularised logistic regression (the bias, column 0, is not penalised)."""
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], lam)
    penalty[0] = 1e-6
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + penalty * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def _matrix(samples: Sequence[Sample], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[1.0] + [s.features.get(n, 0.0) for n in names] for s in samples])
    y = np.array([1.0 if s.label else 0.0 for s in samples])
    return x, y


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def cross_validate(samples: list[Sample], names: list[str], lam: float) -> np.ndarray:
    """Held-out probabilities: each text scored by weights fitted on the other folds."""
    texts = sorted({s.text for s in samples})
    fold_of = {t: i % FOLDS for i, t in enumerate(texts)}
    x, y = _matrix(samples, names)
    probs = np.zeros(len(samples))
    for fold in range(FOLDS):
        test = np.array([fold_of[s.text] == fold for s in samples])
        if not test.any():
            continue
        w = fit(x[~test], y[~test], lam)
        probs[test] = 1.0 / (1.0 + np.exp(-np.clip(x[test] @ w, -30, 30)))
    return probs


def score(samples: list[Sample], probs: np.ndarray, threshold: float, missed: int) -> tuple[float, float, float]:
    """Micro P/R/F1 of the decisions; `missed` gold items had no candidate at all (false negatives)."""
    tp = sum(1 for s, p in zip(samples, probs, strict=True) if p >= threshold and s.label)
    fp = sum(1 for s, p in zip(samples, probs, strict=True) if p >= threshold and not s.label)
    fn = sum(1 for s, p in zip(samples, probs, strict=True) if p < threshold and s.label) + missed
    return _f1(tp, fp, fn)


def _breakdown(samples: list[Sample], probs: np.ndarray, threshold: float) -> None:
    """Cross-validated P/R per kind of candidate (event type, category key)."""
    kinds = sorted({s.ident[0] if isinstance(s.ident, tuple) else s.ident for s in samples})
    for kind in kinds:
        rows = [(s, p) for s, p in zip(samples, probs, strict=True)
                if (s.ident[0] if isinstance(s.ident, tuple) else s.ident) == kind]
        tp = sum(1 for s, p in rows if p >= threshold and s.label)
        fp = sum(1 for s, p in rows if p >= threshold and not s.label)
        fn = sum(1 for s, p in rows if p < threshold and s.label)
        pr, rc, f1 = _f1(tp, fp, fn)
        print(f"    {kind:18s} candidates {len(rows):4d} right {tp + fn:3d}  P {pr:.2f} R {rc:.2f} F1 {f1:.2f}")


def train(name: str, samples: list[Sample], missed: list[int], out: dict[str, Any], verbose: bool = False,
          files: Sequence[tuple[str, range]] = ()) -> None:
    """Choose λ and threshold by cross-validated F1, fit on everything, print both figures (and, given
    several gold files, the cross-validated figure of each: `files` holds a name and its texts' indices).
    `missed` holds the text index of each gold item that had no candidate at all."""
    names = sorted({k for s in samples for k in s.features})
    best = (-1.0, 1.0, 0.5)
    for lam in LAMBDAS:
        probs = cross_validate(samples, names, lam)
        for t in THRESHOLDS:
            f1 = score(samples, probs, t, len(missed))[2]
            if f1 > best[0] + 1e-9:
                best = (f1, lam, t)
    _, lam, threshold = best
    probs = cross_validate(samples, names, lam)
    p, r, f = score(samples, probs, threshold, len(missed))
    x, y = _matrix(samples, names)
    w = fit(x, y, lam)
    fitted = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
    ip, ir, i_f = score(samples, fitted, threshold, len(missed))
    positives = sum(s.label for s in samples)
    print(f"{name}: {len(samples)} candidates ({positives} right, {len(missed)} gold items without a candidate), "
          f"λ={lam}, threshold={threshold}")
    print(f"  cross-validated (10 folds by text): P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    print(f"  in-sample:                          P {ip:.3f}  R {ir:.3f}  F1 {i_f:.3f}")
    for file, texts in files if len(files) > 1 else ():
        part = [i for i, s in enumerate(samples) if s.text in texts]
        fp, fr, ff = score([samples[i] for i in part], probs[part], threshold, sum(t in texts for t in missed))
        print(f"    {file}: cross-validated P {fp:.3f}  R {fr:.3f}  F1 {ff:.3f}")
    if verbose:
        _breakdown(samples, probs, threshold)
    out[name] = {"threshold": threshold, "cv_f1": round(f, 3),
                 "weights": {"bias": round(float(w[0]), 4),
                             **{n: round(float(v), 4) for n, v in zip(names, w[1:], strict=True)}}}


def category_samples(items: list[dict[str, Any]], analyses: list[Any]) -> tuple[list[Sample], list[int]]:
    samples: list[Sample] = []
    missed: list[int] = []
    for i, (item, a) in enumerate(zip(items, analyses, strict=True)):
        # texts outside the industry count too: their categories are all wrong (they have none)
        gold = set(item.get("categories", []))
        trace: dict[str, dict[str, float]] = a.trace.get("categories", {})
        samples += [Sample(i, key, feats, key in gold) for key, feats in trace.items()]
        missed += [i] * len(gold - set(trace))
    return samples, missed


def event_samples(items: list[dict[str, Any]], analyses: list[Any]) -> tuple[list[Sample], list[int]]:
    """(type, company) candidates, right when the gold file lists that type for a name of that company."""
    from avtomon.extractors.evaluate import norm

    samples: list[Sample] = []
    missed: list[int] = []
    for i, (item, a) in enumerate(zip(items, analyses, strict=True)):
        if not item.get("relevant", True):
            continue
        groups = [{norm(n) for n in g} for g in item.get("companies", [])]
        gold = set()
        for etype, company in item.get("events", []):
            idx = next((k for k, g in enumerate(groups) if norm(company) in g), None)
            gold.add((etype, idx if idx is not None else norm(company)))
        covered = set()
        for etype, hit, feats in a.trace.get("events", []):
            idx = next((k for k, g in enumerate(groups) if norm(hit.name) in g), None)
            ident = (etype, idx if idx is not None else norm(hit.name))
            samples.append(Sample(i, ident, feats, ident in gold))
            covered.add(ident)
        missed += [i] * len(gold - covered)
    return samples, missed


BUILDERS: dict[str, Callable[[list[dict[str, Any]], list[Any]], tuple[list[Sample], list[int]]]] = {
    "categories": category_samples,
    "events": event_samples,
}


def _same(a: dict[str, Any] | None, b: dict[str, Any]) -> bool:
    """The same scorer: threshold and every weight equal to 3 decimals."""
    if not a or a.get("threshold") != b["threshold"] or set(a["weights"]) != set(b["weights"]):
        return False
    return all(abs(a["weights"][k] - b["weights"][k]) < 1e-3 for k in b["weights"])


def main(argv: Sequence[str] | None = None) -> int:
    from avtomon.extractors.analyze import analyze_many, compose
    from avtomon.extractors.evaluate import load_gold

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("gold", type=Path, nargs="+", help="gold JSONL files, fitted together")
    parser.add_argument("--write", action="store_true", help="rewrite extractors/data/weights.yaml")
    parser.add_argument("--only", choices=sorted(BUILDERS), help="fit one scorer only")
    parser.add_argument("-v", "--verbose", action="store_true", help="cross-validated figures per type or key")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the shipped weights are not what this code fits (features changed since)")
    args = parser.parse_args(argv)
    items: list[dict[str, Any]] = []
    spans = []
    for path in args.gold:
        loaded = load_gold(path)
        spans.append((path.name, range(len(items), len(items) + len(loaded))))
        items += loaded
    analyses = analyze_many([compose(i.get("title"), i["text"]) for i in items],
                            [len(i["title"]) if i.get("title") else 0 for i in items])
    target = Path(__file__).parent / "data" / "weights.yaml"
    out: dict[str, Any] = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
    shipped = {k: dict(v) for k, v in out.items()}
    for name, build in BUILDERS.items():
        if args.only and name != args.only:
            continue
        samples, missed = build(items, analyses)
        train(name, samples, missed, out, args.verbose, spans)
    if args.check:
        fitted = [n for n in out if n in BUILDERS and (not args.only or n == args.only)]
        stale = [n for n in fitted if not _same(shipped.get(n), out[n])]
        if stale:
            print(f"stale weights in {target.name}: {', '.join(stale)} (run with --write)")
            return 1
    if args.write:
        header = "# Weights of the logistic scorers in linear.py, fitted by `python -m avtomon.extractors.train`.\n"
        target.write_text(header + yaml.safe_dump(out, allow_unicode=True, sort_keys=False, width=120),
                          encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
