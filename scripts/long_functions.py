#!/usr/bin/env python3
"""Lists the functions of crates/*/src longer than a limit (default 120 lines,
from the `fn` line to its closing brace), skipping `#[cfg(test)] mod tests`.

A function may stay longer when the comment right above it says why: it
contains the words "long because". Exits 1 when any other function is too
long. Usage: scripts/long_functions.py [LIMIT]
"""
import glob
import re
import sys

FN = re.compile(
    r'^[ \t]*(?:pub(?:\([^)]*\))? )?(?:const )?(?:unsafe )?(?:extern "C" )?fn (\w+)', re.M
)


def body_end(src, i):
    """Index of the brace closing the body that starts at the first `{` after i
    (None for a declaration without a body)."""
    depth = 0
    while i < len(src):
        c = src[i]
        if c in "(<[":
            depth += 1
        elif c in ")>]":
            depth -= 1
        elif c == ";" and depth <= 0:
            return None
        elif c == "{" and depth <= 0:
            break
        i += 1
    level = 0
    for j in range(i, len(src)):
        if src[j] == "{":
            level += 1
        elif src[j] == "}":
            level -= 1
            if level == 0:
                return j
    return None


def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    found = []
    for path in sorted(glob.glob("crates/*/src/**/*.rs", recursive=True)):
        src = open(path, encoding="utf-8").read()
        lines = src.split("\n")
        tests = src.find("#[cfg(test)]\nmod tests")
        for m in FN.finditer(src):
            if tests != -1 and m.start() > tests:
                continue
            end = body_end(src, m.end())
            if end is None:
                continue
            first = src.count("\n", 0, m.start()) + 1
            n = src.count("\n", 0, end) + 1 - first + 1
            above = "\n".join(lines[max(0, first - 8) : first - 1]).lower()
            if n > limit and "long because" not in above:
                found.append((n, path, first, m.group(1)))
    for n, path, line, name in sorted(found, reverse=True):
        print(f"{n:5} {path}:{line} {name}")
    print(f"{len(found)} functions over {limit} lines")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
