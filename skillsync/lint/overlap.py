"""Rule ``overlapping-descriptions``: two skills the model could not tell apart.

Similarity is the Jaccard index of the descriptions' word shingles (pairs of
consecutive words, lower-cased). Comparing every pair of 10,000 skills would
cost 50 million comparisons, so candidates come from an index (prefix
filtering): with the shingles of each description ordered rarest first, two
sets whose similarity reaches t must share a shingle among the first
``n - ceil(t * n) + 1`` of either. Only skills sharing such a shingle are
compared, which finds every pair over the threshold and nothing else.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections import Counter, defaultdict
from typing import NamedTuple

from skillsync.model import Location, Problem

THRESHOLD = 0.8
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


class Described(NamedTuple):
    """A skill as the rule sees it (a named tuple: validate makes one per skill)."""

    name: str
    description: str
    at: Location


def digest_of(skills: list[Described]) -> str:
    """What the rule's findings depend on, hashed (the verdict cache keeps them by it)."""
    text = "".join(
        [
            f"{name}\0{description}\0{at.path}\0{at.line}\0{at.col}\0"
            for name, description, at in skills
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def shingles(text: str) -> frozenset[int]:
    """The description's word pairs (hashed: sets of ints compare fastest)."""
    words = _WORD.findall(text.lower())
    if len(words) < 2:
        return frozenset(hash(w) for w in words)
    return frozenset(map(hash, itertools.pairwise(words)))


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def overlapping(skills: list[Described], threshold: float = THRESHOLD) -> list[Problem]:
    """At most one finding per skill: at the description of each skill that is over the
    threshold with an earlier one, naming its closest match (the earliest of equals) and
    how many other skills it is close to. What is kept per skill is its closest match and
    a count, so a thousand near-copies cost a thousand findings, not half a million."""
    sets = [shingles(s.description) for s in skills]
    frequency = Counter(itertools.chain.from_iterable(sets))
    # One total order of all shingles, rarest first (ties by value), as prefix filtering needs.
    # Stable sort by frequency: ties keep first-seen order, which makes the order total.
    order = sorted(frequency, key=frequency.__getitem__)
    rank = dict(zip(order, range(len(order)), strict=True))
    rarity = rank.__getitem__
    unique = sum(1 for count in frequency.values() if count == 1)
    """Shingles of one description alone rank first; a prefix made of them meets nobody."""
    index: dict[int, list[int]] = defaultdict(list)
    closest: list[tuple[float, int]] = [(0.0, -1)] * len(sets)  # (score, -index): the best
    matches = [0] * len(sets)
    reported = [False] * len(sets)  # over the threshold with an earlier skill
    for i, current in enumerate(sets):
        size = len(current)
        if not size:
            continue
        # the ranks of the rarest shingles (ranks sort as ints, faster than by a key)
        prefix = sorted(map(rarity, current))[: size - math.ceil(threshold * size) + 1]
        if prefix[-1] < unique:
            continue  # every prefix shingle is this description's alone: no candidate
        candidates: set[int] = set()
        for g in prefix:
            postings = index.get(g)
            if postings is not None:
                candidates.update(postings)
                postings.append(i)
            else:
                index[g] = [i]
        smallest, largest = threshold * size, size / threshold
        for j in candidates:
            other = sets[j]
            if not smallest <= len(other) <= largest:
                continue  # sizes too far apart to reach the threshold
            score = similarity(current, other)
            if score >= threshold:
                reported[i] = True
                for me, them in ((i, j), (j, i)):
                    matches[me] += 1
                    closest[me] = max(closest[me], (score, -them))
    problems = []
    for i, skill in enumerate(skills):
        if not reported[i]:
            continue
        score, minus = closest[i]
        match = skills[-minus]
        more = matches[i] - 1
        also = f" and {more} other skill{'s' if more > 1 else ''}" if more else ""
        problems.append(
            Problem(
                skill.at,
                f"description: {score:.0%} like the description of '{match.name}' "
                f"({match.at}){also}; the model cannot tell them apart: say what sets each "
                "one apart, or merge them",
                "warning",
                "overlapping-descriptions",
            )
        )
    return problems
