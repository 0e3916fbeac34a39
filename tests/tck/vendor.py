"""Refreshes the vendored TCK subset from a checkout of github.com/opencypher/openCypher.

    python3 tests/tck/vendor.py /path/to/openCypher [COMMIT]

Copies every ``tck/features/**/*.feature`` that has at least one scenario the runner selects
(:mod:`selection`), the named graphs, the licence and the notice into ``tests/tck``, and records
the upstream commit and the counts in ``tests/tck/features/UPSTREAM``. The TCK is test data under
the Apache License 2.0 (see ``tests/tck/README.md``); no package registry reachable from CI
publishes it (it is on Maven Central only), hence the copy.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gherkin import load  # noqa: E402
from selection import Runnable, classify  # noqa: E402


def main() -> int:
    src = Path(sys.argv[1])
    commit = sys.argv[2] if len(sys.argv) > 2 else "unknown"
    features = src / "tck" / "features"
    shutil.rmtree(HERE / "graphs", ignore_errors=True)
    shutil.copytree(src / "tck" / "graphs", HERE / "graphs")
    scenarios = load(features)
    cache: dict = {}
    keep = sorted({s.path for s in scenarios if isinstance(classify(s, cache), Runnable)})
    all_files = sorted({s.path for s in scenarios})
    dest = HERE / "features"
    shutil.rmtree(dest, ignore_errors=True)
    for rel in keep:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(features / rel, dest / rel)
    shutil.copyfile(src / "LICENSE", dest / "LICENSE")
    shutil.copyfile(src / "NOTICE", dest / "NOTICE")
    left_out = [f for f in all_files if f not in keep]
    left_count = sum(1 for s in scenarios if s.path in left_out)
    (dest / "UPSTREAM").write_text(
        "openCypher TCK feature files, copied unchanged from\n"
        f"https://github.com/opencypher/openCypher/tree/{commit}/tck/features\n"
        "(Apache License 2.0, see LICENSE and NOTICE here).\n\n"
        f"Upstream: {len(all_files)} feature files, {len(scenarios)} scenarios (outlines "
        "expanded).\n"
        f"Copied: {len(keep)} files, those with at least one scenario the runner selects.\n"
        f"Not copied: {len(left_out)} files ({left_count} scenarios), none of whose scenarios "
        "is selected:\n" + "".join(f"  {f}\n" for f in left_out))
    print(f"copied {len(keep)} of {len(all_files)} feature files; {len(left_out)} left out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
