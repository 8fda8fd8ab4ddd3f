"""The reminders function: invoked by two EventBridge schedules, told apart by the rule that fired.

- `<stack>-notices-delivery` (every 5 minutes): send the queued notices (see `delivery`);
- `<stack>-notices-daily` (08:00 UTC by default): the daily job (see `daily`).

The rule names are set in template.yaml. Anything else raises, so a misrouted event ends in the
function's dead-letter queue instead of silently doing the wrong job.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from library_common.settings import SettingsError, get_settings
from library_reminders import daily, delivery, mail

logger = Logger()

DELIVERY_RULE_SUFFIX = "-notices-delivery"
DAILY_RULE_SUFFIX = "-notices-daily"


def _due_soon_days(environ: Mapping[str, str]) -> int:
    raw = environ.get("DUE_SOON_DAYS") or "2"
    if not raw.isdigit() or not 1 <= int(raw) <= 30:
        raise SettingsError(f"DUE_SOON_DAYS must be a whole number of days from 1 to 30, not {raw!r}")
    return int(raw)


# Validated at cold start, like the layer's settings: a bad value fails the deployment's first run, loudly.
DUE_SOON_DAYS = _due_soon_days(os.environ)


class NotAReminderSchedule(ValueError):
    """The event did not come from one of this function's schedules."""


def scheduled_job(event: dict[str, Any]) -> str:
    """`delivery` or `daily`, from the ARN of the rule that fired (`resources` of a scheduled event)."""
    if event.get("detail-type") != "Scheduled Event":
        raise NotAReminderSchedule(f"expected an EventBridge scheduled event, got {event.get('detail-type')!r}")
    for arn in event.get("resources") or ():
        rule = arn.rpartition("/")[2]
        if rule.endswith(DELIVERY_RULE_SUFFIX):
            return "delivery"
        if rule.endswith(DAILY_RULE_SUFFIX):
            return "daily"
    raise NotAReminderSchedule(f"no reminders schedule among {event.get('resources')!r}")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = scheduled_job(event)
    if job == "daily":
        report = asdict(daily.run(due_soon_days=DUE_SOON_DAYS))
    else:

        def seconds_left() -> float:
            return context.get_remaining_time_in_millis() / 1000

        report = asdict(delivery.deliver(mail.sender_for(get_settings()), seconds_left=seconds_left))
    logger.info("reminders job done", extra={"job": job, **report})
    return {"job": job, **report}
