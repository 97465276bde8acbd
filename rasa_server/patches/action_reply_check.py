"""Checks the action server's replies against a schema compiled once, not on every call.

Rasa 3.6 checks each custom action's reply with `jsonschema.validate`, which
first checks the schema itself against the JSON Schema meta-schema. With
jsonschema 4.17 that costs about 60 ms of CPU per custom action on this
2-core machine, in the Rasa server's single event loop: at 10 concurrent
conversations it alone held throughput near 7 messages per second
(BENCHMARKS.md). The schema is a constant, so it is checked once here; each
reply is still validated against it, and an invalid reply still raises the
same `ValidationError` with Rasa's explanation.

Installed, with the other speed-ups, only by the Rasa server's entry point
(`python -m rasa_server`, rasa_server/__main__.py).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from rasa_server.patches.patch import Patch
from rasa_server.version_guard import Original, Versions


@cache
def reply_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)  # what jsonschema.validate picks
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_reply(_action: RemoteAction, result: dict[str, Any]) -> bool:
    error: ValidationError | None = best_match(reply_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid. For more information about "
            f"the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


PATCH = Patch(
    name="action_reply_check",
    does="the action server's reply schema is checked once, not on every reply",
    target=Original(RemoteAction, "_validate_action_result", "0a0fc9f51d6e0e88"),
    replacement=validate_action_reply,
    written_for=Versions(rasa="3.6.21", sanic="21.12.2", python="3.10"),
    # What Rasa's check calls, with jsonschema 4.17.3: the reply is validated as it does.
    also_reproduces=(Original(validators, "validate", "074e3797caad7c17"),),
)
