#!/usr/bin/env python3
"""Checks that includes follow the layer order of src/README.md.

Each file under include/semdedup/<layer>/, src/<layer>/ and python/src/ may include the
project's headers ("semdedup/<layer>/..." public, "<layer>/..." private to src/) of its own
layer and of the layers below it only, so that the dependency graph has no cycle and nothing
points upwards. Prints one line per offending include; exit status 1 if there is any.
Usage: scripts/check_layering.py [repository root]
       scripts/check_layering.py --self-test   (the check finds upward includes in a small tree)
"""
import pathlib
import re
import sys
import tempfile

# Each layer and the layers it may include (besides itself).
ALLOWED = {
    "core": set(),
    "kernels": {"core"},
    "io": {"core"},
    "dist": {"core"},
    "kmeans": {"core", "kernels", "io"},
    "pairwise": {"core", "kernels", "io"},
    "dedup": {"core", "kernels", "io", "kmeans", "pairwise"},
    "cli": {"core", "kernels", "io", "dist", "kmeans", "pairwise", "dedup"},
    # The Python extension module sits beside the CLI, over the library.
    "python": {"core", "kernels", "io", "kmeans", "pairwise", "dedup"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"(?:semdedup/)?([a-z_]+)/[^"]+"')
SOURCES = (".cpp", ".hpp", ".h", ".cu", ".cuh")


def layer_of(root: pathlib.Path, path: pathlib.Path) -> str | None:
    rel = path.relative_to(root).parts
    if rel[:2] == ("include", "semdedup") and len(rel) > 3:
        return rel[2]
    if rel[0] == "src" and len(rel) > 2:
        return rel[1]
    if rel[:2] == ("python", "src"):
        return "python"
    return None


def check(root: pathlib.Path) -> list[str]:
    """The offending includes under `root`, one line each."""
    problems = []
    checked = 0
    matched = 0
    for top in ("include/semdedup", "src", "python/src"):
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in SOURCES or not path.is_file():
                continue
            layer = layer_of(root, path)
            if layer is None:
                continue
            if layer not in ALLOWED:
                problems.append(f"{path.relative_to(root)}: layer '{layer}' is not in the order")
                continue
            checked += 1
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target = match.group(1)
                matched += 1
                if target not in ALLOWED or target == layer:
                    continue  # not a layer of ours ("testing/...", "unit/...") or its own
                if target not in ALLOWED[layer]:
                    problems.append(f"{path.relative_to(root)}:{number}: {layer} includes "
                                    f"{target} ({line.strip()}), which is not below it")
    if checked == 0 or matched == 0:
        problems.append(f"no source files or no project includes found under {root}")
    return problems


def self_test() -> int:
    """An include pointing up (io -> dedup, core -> io) is found; one pointing down is not."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        files = {
            "src/io/up.cpp": '#include "semdedup/dedup/workflow.hpp"\n',
            "include/semdedup/core/up.hpp": '#include "io/arrow_status.hpp"\n',
            "src/dedup/down.cpp": '#include "semdedup/io/layout.hpp"\n#include "dedup/x.hpp"\n',
            "python/src/down.cpp": '#include "semdedup/dedup/workflow.hpp"\n',
        }
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        found = check(root)
    expected = ["include/semdedup/core/up.hpp:1: core includes io",
                "src/io/up.cpp:1: io includes dedup"]
    if len(found) != len(expected) or any(not f.startswith(e) for f, e in zip(found, expected)):
        print("self-test failed: found", found)
        return 1
    return 0


def main() -> int:
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
    problems = check(root.resolve())
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
