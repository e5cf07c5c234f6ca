"""The bridge between the database and the plain-Python engine.

It loads the trained model once per process, compiles attached blocklists through the engine's
version-keyed cache (a change to a list bumps its version, so every process rebuilds on its next
use), builds each resource's protected-material index once per registry state, and classifies
texts against a filter configuration. The runtime API calls it synchronously; workers call it
for recorded events.
"""

import functools
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q

from blocklists.models import Blocklist, BlocklistItem
from filters.models import ProtectedWork
from guardsite.engine.analyzer import Analyzer, analysis_wants
from guardsite.engine.blocklist import CompiledBlocklist, get_matcher
from guardsite.engine.classifier import HarmModel
from guardsite.engine.decision import Decision, decide
from guardsite.engine.external import build_classifier
from guardsite.engine.profanity import builtin_profanity_terms
from guardsite.engine.protected import ProtectedIndex
from guardsite.engine.types import Analysis


@dataclass(frozen=True)
class ClassifyInput:
    text: str
    direction: str
    config: dict
    resource_id: str | None = None
    documents: Sequence[str] = ()


@functools.cache
def harm_model() -> HarmModel:
    return HarmModel.load()


def classifier_name(config: dict) -> str:
    return config.get("classifier") or settings.GUARDSITE_CLASSIFIER


def model_for(config: dict, direction: str) -> Any:
    """The model a filter asks for: the trained local one, or an operator's external profile.

    An external classifier raises ExternalClassifierError when it fails; the runtime turns that
    into the documented content_filter_error annotation.
    """
    name = classifier_name(config)
    if name == "local":
        return harm_model()
    model = _external(name)
    if direction == "completion" and hasattr(model, "with_role"):
        return model.with_role("completion")
    return model


@functools.cache
def _external(name: str) -> Any:
    spec = settings.GUARDSITE_CLASSIFIERS.get(name)
    if spec is None:
        raise ValueError(f"No classifier profile named {name!r}.")
    return build_classifier(spec) or harm_model()


def compiled_blocklists(config: dict, direction: str) -> list[CompiledBlocklist]:
    """Matchers for the lists attached to one side of a filter, from the version-keyed cache."""
    attached_ids = [entry["id"] for entry in config.get(direction, {}).get("blocklists", [])]
    if not attached_ids:
        return []
    lists = Blocklist.objects.filter(pk__in=attached_ids).only(
        "id", "name", "version", "is_builtin"
    )
    return [
        get_matcher(str(blocklist.pk), blocklist.version, _loader(blocklist), name=blocklist.name)
        for blocklist in lists
    ]


def _loader(blocklist: Blocklist):
    def load() -> list[tuple[str, str, bool]]:
        if blocklist.is_builtin:
            terms = _builtin_terms()
            return [(f"builtin-{index}", term, False) for index, term in enumerate(terms)]
        return [
            (str(item_id), text, is_regex)
            for item_id, text, is_regex in BlocklistItem.objects.filter(
                blocklist=blocklist
            ).values_list("id", "text", "is_regex")
        ]

    return load


@functools.cache
def _builtin_terms() -> tuple[str, ...]:
    return tuple(builtin_profanity_terms())


# Bounded like the blocklist matcher cache: a long-running worker serving many resources keeps
# the most recently used indexes, not one per resource it has ever seen.
PROTECTED_INDEX_CACHE_SIZE = 256
_indexes: OrderedDict[str | None, tuple[tuple, ProtectedIndex]] = OrderedDict()
_indexes_lock = threading.Lock()


def protected_index(resource_id: str | None) -> ProtectedIndex:
    """The index of global works plus the resource's own, rebuilt when the registry changes."""
    works = ProtectedWork.objects.filter(Q(resource__isnull=True) | Q(resource_id=resource_id))
    state = works.aggregate(count=Count("id"), changed=Max("updated_at"))
    key = (state["count"], state["changed"])
    with _indexes_lock:
        cached = _indexes.get(resource_id)
        if cached is not None and cached[0] == key:
            _indexes.move_to_end(resource_id)
            return cached[1]
    index = ProtectedIndex()
    for work in works.only("id", "title", "content", "kind", "source_url", "license"):
        try:
            index.add(
                str(work.pk),
                work.title,
                work.content,
                kind=work.kind,
                source_url=work.source_url or None,
                license=work.license or None,
            )
        except ValueError:
            continue  # too short to fingerprint; the registry refuses these on save
    with _indexes_lock:
        _indexes[resource_id] = (key, index)
        _indexes.move_to_end(resource_id)
        while len(_indexes) > PROTECTED_INDEX_CACHE_SIZE:
            _indexes.popitem(last=False)
    return index


def classify_many(inputs: Sequence[ClassifyInput]) -> list[tuple[Analysis, Decision]]:
    """Analyse and decide for many texts, batching those that share resource, side and filter."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for position, item in enumerate(inputs):
        config_key = repr(sorted(item.config.items())) if item.config else ""
        groups[(item.resource_id, item.direction, config_key)].append(position)
    results: list[tuple[Analysis, Decision] | None] = [None] * len(inputs)
    for (resource_id, direction, _), positions in groups.items():
        config = inputs[positions[0]].config
        analyzer = Analyzer(model_for(config, direction), protected_index(resource_id))
        analyses = analyzer.analyze_batch(
            [inputs[position].text for position in positions],
            direction,
            [list(inputs[position].documents) for position in positions],
            compiled_blocklists(config, direction),
            want=analysis_wants(config, direction),
        )
        for position, analysis in zip(positions, analyses, strict=True):
            results[position] = (analysis, decide(analysis, config, direction))
    return [result for result in results if result is not None]


def classify(
    text: str,
    direction: str,
    config: dict,
    *,
    resource_id: str | None = None,
    documents: Sequence[str] = (),
) -> tuple[Analysis, Decision]:
    [result] = classify_many([ClassifyInput(text, direction, config, resource_id, documents)])
    return result
