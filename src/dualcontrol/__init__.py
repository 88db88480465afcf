"""dualcontrol: explainable export-control decisions for dual-use items.

Load rulesets into a `Policy`, give it a case (one export transaction, JSON contract v1), and
get a `Decision`: an outcome per line and for the case, with the rules that fired, their legal
citations, the facts they matched and the chain of derived facts behind them.

    >>> import dualcontrol
    >>> policy = dualcontrol.Policy.load(["starter"])
    >>> decision = policy.check(case_json)            # doctest: +SKIP
    >>> print(decision.explain())                     # doctest: +SKIP
"""

from .case import Case, EndUse, Exporter, Item, Party, case_to_dict, parse_case
from .case_schema import case_schema
from .decide import Decision, Finding, Line, OpenItem
from .errors import CaseError, DualcontrolError, EngineError, ListError, Problem, RulesetError
from .explain import WhyNot, decision_to_dict, render, why_not
from .policy import Policy
from .rulesets import load_ruleset, shipped_rulesets
from .tree import Rule, Ruleset
from .vocab import Outcome

__version__ = "0.1.0"

__all__ = [
    "Case",
    "CaseError",
    "Decision",
    "DualcontrolError",
    "EndUse",
    "EngineError",
    "Exporter",
    "Finding",
    "Item",
    "Line",
    "ListError",
    "OpenItem",
    "Outcome",
    "Party",
    "Policy",
    "Problem",
    "Rule",
    "Ruleset",
    "RulesetError",
    "WhyNot",
    "__version__",
    "case_schema",
    "case_to_dict",
    "decision_to_dict",
    "load_ruleset",
    "parse_case",
    "render",
    "shipped_rulesets",
    "why_not",
]
