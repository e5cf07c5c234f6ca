"""Protected-material texts and works shared by the REST and page tests (imported by name:
tests/ is on sys.path)."""

import pytest

from filters.protected import WorkInput, add_protected_work

LYRIC = (
    "Down by the harbour where the grey gulls wheel and cry, the fishing boats come in beneath "
    "a copper evening sky; the nets are heavy, silver-bright, the old men mend and sing, and "
    "every tide that turns tonight is bringing home the spring. Oh the lanterns on the water "
    "and the bells across the bay, they call the sailors homeward at the closing of the day."
)
RECIPE = (
    "Warm the milk until it steams, then whisk in two eggs, a spoon of honey and a pinch of "
    "salt. Pour the custard over torn bread in a buttered dish, scatter raisins and nutmeg on "
    "top, and leave it to soak for twenty minutes before baking in a slow oven until set and "
    "golden at the edges, about forty minutes, then rest it before serving warm with cream."
)
CODE = "\n".join(
    f"def step_{n}(state, rate):\n"
    f"    delta = state * rate - {n}\n"
    f"    return state + delta / {n + 1}\n"
    for n in range(12)
)


@pytest.fixture
def harbour(acme, owner):
    return add_protected_work(
        acme,
        WorkInput("Harbour song", LYRIC, source_url="https://example.com/harbour", license="CC"),
        acting_user=owner,
    )


@pytest.fixture
def solver(acme, owner):
    return add_protected_work(acme, WorkInput("solver.py", CODE, kind="code"), acting_user=owner)


@pytest.fixture
def globex_work(globex, outsider):
    return add_protected_work(globex, WorkInput("Their song", LYRIC), acting_user=outsider)
