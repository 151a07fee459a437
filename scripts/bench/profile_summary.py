"""Summarise a py-spy `--format raw` profile (collapsed stacks) of the server:
top functions by own time and by inclusive time, and the share of chosen frames.

    .venv/bin/python scripts/bench/profile_summary.py PROFILE.txt [--top 25] [--match TEXT ...]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    """`func (path/to/site-packages/pkg/mod.py:12)` -> `func (pkg/mod.py)`."""
    m = FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({path})"


def load(path: str) -> list[tuple[list[str], int]]:
    stacks = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            frames = [short(x) for x in stack.split(";") if x]
            stacks.append((frames, int(count)))
    return stacks


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("profile")
    p.add_argument("--top", type=int, default=25)
    p.add_argument(
        "--match",
        action="append",
        default=[],
        help="also report the inclusive share of frames containing TEXT",
    )
    a = p.parse_args()
    stacks = load(a.profile)
    total = sum(c for _, c in stacks)
    own: Counter = Counter()
    incl: Counter = Counter()
    for frames, count in stacks:
        if frames:
            own[frames[-1]] += count
        for f in set(frames):
            incl[f] += count
    print(f"{a.profile}: {total} samples")
    print(f"\ntop {a.top} by own time")
    for f, c in own.most_common(a.top):
        print(f"  {100 * c / total:5.1f}%  {f}")
    print(f"\ntop {a.top} by inclusive time")
    for f, c in incl.most_common(a.top):
        print(f"  {100 * c / total:5.1f}%  {f}")
    for text in a.match:
        c = sum(count for frames, count in stacks if any(text in f for f in frames))
        print(f"\ninclusive share of frames matching {text!r}: {100 * c / total:.1f}%")


if __name__ == "__main__":
    main()
