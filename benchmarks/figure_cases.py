"""Precision and recall per figure-alert kind on the labelled case set.

Usage: python benchmarks/figure_cases.py [PATH]   (default: tests/cases/figures.jsonl)
Prints one line per kind, then every case whose alerts differ from its label.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.cases.figure_cases import CASES, run_cases, scores


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else CASES
    outcomes = run_cases(path)
    silent = [o for o in outcomes if not o.expected]
    print(f"cases {len(outcomes)}  (compatible/trap cases: {len(silent)})")
    for kind, (p, r, tp, fp, fn) in scores(outcomes).items():
        print(f"{kind:22} precision {p:.2f}  recall {r:.2f}  (tp {tp}, fp {fp}, fn {fn})")
    noisy = [o for o in silent if o.fired]
    print(f"alerts on compatible/trap cases: {len(noisy)}")
    for o in outcomes:
        if o.fired != o.expected:
            print(f"  MISMATCH {o.name}: expected {o.expected}, fired {o.fired}")
            for s in o.summaries:
                print(f"      {s[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
