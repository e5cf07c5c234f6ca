"""The classification engine: plain Python, no Django, usable from workers and benchmarks.

The trained harm model lives in ``guardsite.engine.classifier`` (``HarmModel``) and is imported
from there directly, so importing the engine does not load model artefacts.
"""

from guardsite.engine.analyzer import Analyzer, analysis_wants, match_blocklists
from guardsite.engine.blocklist import (
    CompiledBlocklist,
    clear_matchers,
    forget_matcher,
    get_matcher,
)
from guardsite.engine.decision import (
    Decision,
    decide,
    default_config,
    models_needed,
    settings_needing_approval,
    validate_config,
)
from guardsite.engine.normalize import NormalizedText, normalize
from guardsite.engine.profanity import builtin_profanity_terms, detect_profanity
from guardsite.engine.protected import ProtectedIndex, ProtectedMatch
from guardsite.engine.regex import validate_regex
from guardsite.engine.types import (
    CATEGORIES,
    Analysis,
    BlocklistMatch,
    CategoryResult,
    CodeCitation,
    Detection,
    ProfanityResult,
    ProtectedCodeResult,
    ProtectedTextResult,
    ProtectedWork,
    four_level_severity,
    severity_level,
)

__all__ = [
    "CATEGORIES",
    "Analysis",
    "Analyzer",
    "BlocklistMatch",
    "CategoryResult",
    "CodeCitation",
    "CompiledBlocklist",
    "Decision",
    "Detection",
    "NormalizedText",
    "ProfanityResult",
    "ProtectedCodeResult",
    "ProtectedIndex",
    "ProtectedMatch",
    "ProtectedTextResult",
    "ProtectedWork",
    "analysis_wants",
    "builtin_profanity_terms",
    "clear_matchers",
    "decide",
    "default_config",
    "detect_profanity",
    "forget_matcher",
    "four_level_severity",
    "get_matcher",
    "match_blocklists",
    "models_needed",
    "normalize",
    "settings_needing_approval",
    "severity_level",
    "validate_config",
    "validate_regex",
]
