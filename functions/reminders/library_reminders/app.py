"""The reminders function: invoked by two EventBridge schedules, told apart by the rule that fired.

- `<stack>-notices-delivery` (every 5 minutes): send the queued notices (see `delivery`);
- `<stack>-notices-daily` (08:00 UTC by default): the daily job (see `daily`).

The rule names are set in template.yaml. Anything else raises, so a misrouted event ends in the
function's dead-letter queue instead of silently doing the wrong job.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from library_common import metrics
from library_common.settings import get_settings
from library_reminders import daily, delivery, mail

logger = Logger()

DELIVERY_RULE_SUFFIX = "-notices-delivery"
DAILY_RULE_SUFFIX = "-notices-daily"


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
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = scheduled_job(event)
    if job == "daily":
        report = asdict(daily.run(due_soon_days=get_settings().due_soon_days))
    else:

        def seconds_left() -> float:
            return context.get_remaining_time_in_millis() / 1000

        delivered = delivery.deliver(mail.sender_for(get_settings()), seconds_left=seconds_left)
        # Failed: given up after the last retry (marked `failed`); a failed attempt that will be retried is not.
        metrics.count(metrics.NOTICES_SENT, delivered.sent)
        metrics.count(metrics.NOTICES_FAILED, delivered.gave_up)
        report = asdict(delivered)
    logger.info("reminders job done", extra={"job": job, **report})
    return {"job": job, **report}
