"""Records that must never be mistaken for one another. (mypy --strict runs in .ci/run, pinned,
before the tests.)"""

from __future__ import annotations


def test_steps_of_different_kinds_never_compare_equal() -> None:
    from composeswap.steps import Delete, Insert, Rename, Replace

    assert Rename("a", "b") == Rename("a", "b") and hash(Rename("a", "b")) == hash(("a", "b"))
    assert Rename("a", "b") != Insert("a", "b")  # type: ignore[arg-type]
    assert Rename("a", "b") != ("a", "b")
    assert Replace("a", "b", "v") != Rename("a", "b")  # type: ignore[comparison-overlap]
    assert Delete("a") != ("a",) and Delete("a") == Delete("a")
    assert not Rename("a", "b") != Rename("a", "b")
