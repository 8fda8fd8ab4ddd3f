"""template.yaml gives the reminders function both schedules, a dead-letter queue, and SES only as the sender."""

import json
from pathlib import Path

import yaml

from devtools import template
from library_reminders import app

ROOT = Path(__file__).resolve().parents[2]


def _template() -> dict:
    return yaml.load(template.TEMPLATE.read_text(), Loader=template._CloudFormationLoader)


def _reminders() -> dict:
    return _template()["Resources"]["RemindersFunction"]["Properties"]


def test_both_schedules_invoke_the_function_with_rule_names_the_handler_recognises():
    events = _reminders()["Events"]
    schedules = {name: spec["Properties"] for name, spec in events.items() if spec["Type"] == "Schedule"}
    assert set(schedules) == {"DeliverNotices", "DailyJob"}
    # A parameter, so that a library can send less often and let an idle database pause (README: Pausing).
    assert schedules["DeliverNotices"]["Schedule"] == {"Ref": "NoticesDeliverySchedule"}
    assert _template()["Parameters"]["NoticesDeliverySchedule"]["Default"] == "rate(5 minutes)"
    assert schedules["DailyJob"]["Schedule"] == {"Ref": "DailyJobSchedule"}
    assert _template()["Parameters"]["DailyJobSchedule"]["Default"] == "cron(0 8 * * ? *)"
    for name, job in (("DeliverNotices", "delivery"), ("DailyJob", "daily")):
        rule_name = schedules[name]["Name"]["Fn::Sub"].replace("${AWS::StackName}", "library")
        event = {"detail-type": "Scheduled Event", "resources": [f"arn:aws:events:eu-west-1:1:rule/{rule_name}"]}
        assert app.scheduled_job(event) == job
        # No Input: the function gets the scheduled event itself, as in events/reminders/.
        assert "Input" not in schedules[name]


def test_the_sample_events_are_scheduled_events_of_those_rules():
    for name, job in (("deliver_notices.json", "delivery"), ("daily_job.json", "daily")):
        event = json.loads((ROOT / "events" / "reminders" / name).read_text())
        assert set(event) == {"id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
        assert app.scheduled_job(event) == job


def test_failed_invocations_end_in_a_dead_letter_queue():
    properties = _reminders()
    assert properties["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["RemindersDeadLetterQueue", "Arn"]},
    }
    assert _template()["Resources"]["RemindersDeadLetterQueue"]["Type"] == "AWS::SQS::Queue"


def test_ses_may_send_only_as_the_configured_sender():
    properties = _reminders()
    assert properties["Environment"]["Variables"]["NOTICES_SENDER"] == {"Ref": "NoticesSender"}
    statements = [s for policy in properties["Policies"] if "Statement" in policy for s in policy["Statement"]]
    ses_statements = [s for s in statements if any(action.startswith("ses:") for action in s["Action"])]
    assert len(ses_statements) == 1
    (statement,) = ses_statements
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["ses:SendEmail", "ses:SendRawEmail"]
    resources = json.dumps(statement["Resource"])
    assert "*" not in resources and ":identity/${NoticesSender}" in resources
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "NoticesSender"}}}
    # No broader SES grant hides in the managed policy templates either.
    assert not any("SES" in name for policy in properties["Policies"] for name in policy if name != "Statement")


def test_the_local_api_loads_the_function_with_its_environment():
    function = template.load(parameter_overrides={"NoticesSender": "library@example.org"}).functions[
        "RemindersFunction"
    ]
    assert function.handler == "library_reminders.app.lambda_handler"
    assert function.environment["NOTICES_SENDER"] == "library@example.org"
    assert function.environment["DUE_SOON_DAYS"] == "2"
