"""Pure vote-provider protocol code: verify signatures, parse bodies into :class:`~bot.votes.model.Vote`.

No web handlers, database or Discord here. A handler does, per request::

    verify_xxx(...)            # SignatureError → 401, PayloadTooLarge → 413
    outcome = parse_xxx(...)   # BadPayload → 400, WrongServer → 403, UpstreamError → 503
    if isinstance(outcome, NotAVote): answer outcome.status, record nothing
    else: await ledger.record(outcome); answer 2xx only after commit

Every :class:`ProviderError` carries ``status`` and a ``reason`` that is safe to return and log.
"""

from .common import (
    MAX_BODY,
    BadPayload,
    NotAVote,
    PayloadTooLarge,
    ProviderError,
    SignatureError,
    UpstreamError,
    WrongServer,
    parse_iso8601,
)
from .gamemonitoring import (
    Delivery,
    fetch_gamemonitoring_vote,
    parse_gamemonitoring_delivery,
    parse_gamemonitoring_vote,
    sign_gamemonitoring,
    verify_gamemonitoring,
)
from .topgg import (
    IntegrationCreate,
    IntegrationDelete,
    TopggEvent,
    detect_topgg_version,
    integration_response,
    parse_integration_event,
    parse_topgg_v0,
    parse_topgg_v1,
    sign_topgg_v1,
    verify_topgg_v0,
    verify_topgg_v1,
)
from .topserver import parse_topserver, sign_topserver, verify_topserver

__all__ = [
    "MAX_BODY",
    "BadPayload",
    "Delivery",
    "IntegrationCreate",
    "IntegrationDelete",
    "NotAVote",
    "PayloadTooLarge",
    "ProviderError",
    "SignatureError",
    "TopggEvent",
    "UpstreamError",
    "WrongServer",
    "detect_topgg_version",
    "fetch_gamemonitoring_vote",
    "integration_response",
    "parse_gamemonitoring_delivery",
    "parse_gamemonitoring_vote",
    "parse_integration_event",
    "parse_iso8601",
    "parse_topgg_v0",
    "parse_topgg_v1",
    "parse_topserver",
    "sign_gamemonitoring",
    "sign_topgg_v1",
    "sign_topserver",
    "verify_gamemonitoring",
    "verify_topgg_v0",
    "verify_topgg_v1",
    "verify_topserver",
]
