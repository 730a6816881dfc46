"""Print one line per interpreter from pytest's JUnit XML files: how many tests ran.

    python .ci/test_counts.py build/test-results/3.11.xml build/test-results/3.12.xml …

Fails when a file is missing or records no test at all, so that an interpreter
whose run was silently skipped cannot pass.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

COUNTED = ("tests", "failures", "errors", "skipped")


def counts(path: Path) -> dict[str, int]:
    """The totals of every ``testsuite`` in one JUnit XML file."""
    root = ElementTree.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    return {key: sum(int(suite.get(key, "0")) for suite in suites) for key in COUNTED}


def main(paths: list[str]) -> int:
    status = 0
    print("tests per interpreter:")
    for name in paths:
        path = Path(name)
        version = path.stem
        if not path.is_file():
            print(f"  Python {version}: no results ({path} is missing)")
            status = 1
            continue
        found = counts(path)
        passed = found["tests"] - found["failures"] - found["errors"] - found["skipped"]
        print(
            f"  Python {version}: {found['tests']} tests, {passed} passed, "
            f"{found['skipped']} skipped, {found['failures']} failed, {found['errors']} errors"
        )
        if found["tests"] == 0 or found["failures"] or found["errors"]:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
