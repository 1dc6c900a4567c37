from cds.models.clients import CdsClient, UsedJwtId
from cds.models.external import ExternalCdsService
from cds.models.feedback import CardFeedback, IssuedCard
from cds.models.rules import Rule, RuleVersion

__all__ = [
    "CardFeedback",
    "CdsClient",
    "ExternalCdsService",
    "IssuedCard",
    "Rule",
    "RuleVersion",
    "UsedJwtId",
]
