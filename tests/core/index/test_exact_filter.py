import random

from alliance.core.index.exact_filter import MERGE_AFTER, ExactFilter


def random_hex(rng: random.Random, digits: int) -> str:
    return format(rng.getrandbits(4 * digits), f"0{digits}x")


def test_holds_what_was_built_and_added_across_merges_and_nothing_else():
    rng = random.Random(7)
    built = [random_hex(rng, 32) for _ in range(1000)]
    added = [random_hex(rng, 64) for _ in range(3 * MERGE_AFTER)]  # several merges into the array
    exact = ExactFilter.of(built)
    for start in range(0, len(added), 1000):
        exact.add(added[start : start + 1000])
    assert all(exact.might_hold(v) for v in built + added)
    assert len(exact) == len(built) + len(added)
    strangers = [random_hex(rng, 40) for _ in range(5000)]
    assert not any(exact.might_hold(v) for v in strangers)


def test_an_empty_filter_holds_nothing_and_short_values_are_whole_prefixes():
    assert not ExactFilter().might_hold("0" * 32)
    exact = ExactFilter.of(["00ff"])
    assert exact.might_hold("00ff") and not exact.might_hold("00fe")


def test_only_the_first_64_bits_count_so_the_store_must_decide():
    exact = ExactFilter.of(["0123456789abcdef" + "0" * 16])
    assert exact.might_hold("0123456789abcdef" + "f" * 16)  # a "might": the store answers no


def test_might_hold_many_agrees_with_might_hold_one_by_one():
    import random

    rng = random.Random(7)
    held = [f"{rng.getrandbits(128):032x}" for _ in range(5000)]
    exact = ExactFilter.of(held[:4000])
    exact.add(held[4000:4010])  # recent, not merged yet
    queries = held[:50] + held[4000:4010] + [f"{rng.getrandbits(160):040x}" for _ in range(50)] + ["abc"]
    assert exact.might_hold_many(queries).tolist() == [exact.might_hold(q) for q in queries]
    assert ExactFilter().might_hold_many(["00" * 16]).tolist() == [False]
