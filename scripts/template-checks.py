#!/usr/bin/env python3
"""Checks of template.yaml that need the SAM tools: what the operator gets (alarms, metric filters, dashboard,
saved queries, outputs, the concurrency guard, the consumer's role), the messages topic and its subscriptions
(and those of consumer.yaml), the documented local invoke as SAM itself resolves its environment, and checkov on
both templates and on their SAM-transformed forms.

Run by scripts/test with the .venv Python (aws-sam-cli installed) and CHECKOV pointing at checkov's own venv.
The per-kind blocks (a function and its alarms and outputs for every kind of the registry) are written from the
registry by `cargo xtask regenerate`, whose check (xtask/tests/it/regenerate.rs) pins them; the checks here read
what they mean, for every function alike.
"""

import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "template.yaml"
CONSUMER = REPO / "consumer.yaml"
QUEUES = ["MessagesQueue", "MessagesDeadLetterQueue", "QuarantineQueue"]
# The tenant of `rollcall smoke` (shared/src/smoke.rs).
SMOKE_SUFFIX = "/rollcall-smoke"


def template(path=TEMPLATE):
    return yaml_parse(path.read_text())


def resources(kind=None, path=TEMPLATE):
    found = template(path)["Resources"]
    return {k: v for k, v in found.items() if kind is None or v["Type"] == kind}


def webhook_functions():
    return {k: v for k, v in resources("AWS::Serverless::Function").items() if k != "ConsumerFunction"}


def transformed(path=TEMPLATE):
    """The template as CloudFormation gets it after the SAM transform (no AWS call: fixed region, no managed
    policy look-up, a placeholder code location as `sam validate` uses)."""
    source = template(path)
    if "Globals" in source:
        source["Globals"]["Function"]["CodeUri"] = "s3://bucket/key.zip"

    class NoManagedPolicies:
        def load(self):
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(source, {"AWS::Region": "us-east-1", "AWS::Partition": "aws"}, NoManagedPolicies())


def dashboard_body():
    """The dashboard's JSON with every ${…} of its Fn::Sub left as a placeholder string."""
    sub = resources()["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    text = sub[0] if isinstance(sub, list) else sub
    return json.loads(re.sub(r"\$\{([^}!]+)\}", r"<\1>", text))


def metric_filters():
    return resources("AWS::Logs::MetricFilter")


class Alarms(unittest.TestCase):
    def test_every_queue_alarms_on_its_oldest_message_before_retention_ends(self):
        t = template()
        alarmed = {}
        for name, alarm in resources("AWS::CloudWatch::Alarm").items():
            props = alarm["Properties"]
            if props.get("MetricName") == "ApproximateAgeOfOldestMessage":
                queue = props["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
                alarmed[queue] = props
        self.assertEqual(sorted(alarmed), sorted(QUEUES))
        for queue, props in alarmed.items():
            self.assertEqual(props["Threshold"], {"Ref": "OldestMessageAlarmSeconds"}, queue)
            self.assertEqual(props["AlarmActions"], [{"Ref": "AlarmTopic"}], queue)
            self.assertEqual(props["OKActions"], [{"Ref": "AlarmTopic"}], queue)
        params = t["Parameters"]
        # The default fires with days to spare on the default retention of the messages queue.
        self.assertLessEqual(params["OldestMessageAlarmSeconds"]["Default"] * 2, params["MessageRetentionPeriod"]["Default"])

    def test_every_function_alarms_on_errors_and_throttles(self):
        alarms = resources("AWS::CloudWatch::Alarm").values()
        for name in resources("AWS::Serverless::Function"):
            watched = set()
            for alarm in alarms:
                props = alarm["Properties"]
                for metric in props.get("Metrics", []) + [{"MetricStat": {"Metric": props}}]:
                    stat = metric.get("MetricStat", {}).get("Metric", {})
                    dims = stat.get("Dimensions") or []
                    if stat.get("Namespace") == "AWS/Lambda" and {"Name": "FunctionName", "Value": {"Ref": name}} in dims:
                        watched.add(stat["MetricName"])
            expected = {"Errors"} if name == "ConsumerFunction" else {"Errors", "Throttles"}
            self.assertLessEqual(expected, watched, name)

    def test_refused_alarms_read_what_the_metric_filters_publish(self):
        published = {}
        for f in metric_filters().values():
            for m in f["Properties"]["MetricTransformations"]:
                published[(m["MetricNamespace"]["Fn::Sub"], m["MetricName"])] = {
                    d["Key"] for d in m.get("Dimensions", [])
                }
        refused = {k: v for k, v in resources("AWS::CloudWatch::Alarm").items() if k.endswith("RefusedAlarm")}
        self.assertEqual(len(refused), len(webhook_functions()))
        for name, alarm in refused.items():
            props = alarm["Properties"]
            outcomes = set()
            for metric in props["Metrics"]:
                if "MetricStat" not in metric:
                    continue
                m = metric["MetricStat"]["Metric"]
                dims = {d["Name"]: d["Value"] for d in m["Dimensions"]}
                self.assertEqual(published.get((m["Namespace"]["Fn::Sub"], m["MetricName"])), set(dims), name)
                outcomes.add(dims["Outcome"])
            # The outcomes as shared/src/ingest.rs and answer.rs log them.
            self.assertEqual(outcomes, {"unauthorized", "quarantined", "queued"}, name)
            self.assertEqual(props["Threshold"], 0.5, name)
            self.assertGreaterEqual(props["EvaluationPeriods"] * props["Metrics"][1]["MetricStat"]["Period"], 3600, name)

    def test_every_route_may_alarm_when_no_delivery_came_for_n_hours(self):
        t = template()
        param = t["Parameters"]["NoDeliveryAlarmHours"]
        # Off by default; at most CloudWatch's 7-day evaluation range (Period x EvaluationPeriods <= 604800 s).
        self.assertEqual((param["Type"], param["Default"], param["MinValue"]), ("Number", 0, 0))
        self.assertEqual(param["MaxValue"] * 3600, 7 * 24 * 3600)
        groups = t["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        operations = next(g for g in groups if g["Label"]["default"] == "Data and operations")
        self.assertIn("NoDeliveryAlarmHours", operations["Parameters"])
        self.assertEqual(
            t["Conditions"]["HasNoDeliveryAlarm"], {"Fn::Not": [{"Fn::Equals": [{"Ref": "NoDeliveryAlarmHours"}, "0"]}]}
        )
        hours = {"Ref": "NoDeliveryAlarmHours"}
        silent = {k: v for k, v in resources("AWS::CloudWatch::Alarm").items() if v.get("Condition") == "HasNoDeliveryAlarm"}
        functions = webhook_functions()
        self.assertEqual(sorted(silent), sorted(f"{f.removesuffix('Function')}NoDeliveriesAlarm" for f in functions))
        for function, props in ((f, functions[f]["Properties"]) for f in functions):
            alarm = silent[f"{function.removesuffix('Function')}NoDeliveriesAlarm"]["Properties"]
            # Every request the route's function got, whatever it answered: Lambda's Invocations of that function.
            self.assertEqual((alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]), ("AWS/Lambda", "Invocations", "Sum"))
            self.assertEqual(alarm["Dimensions"], [{"Name": "FunctionName", "Value": {"Ref": function}}], function)
            # Fewer than one invocation in every hour of the last N; no data at all is none.
            self.assertEqual(alarm["Period"], 3600, function)
            self.assertEqual((alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]), (hours, hours), function)
            self.assertEqual((alarm["Threshold"], alarm["ComparisonOperator"]), (1, "LessThanThreshold"), function)
            self.assertEqual(alarm["TreatMissingData"], "breaching", function)
            route = props["Events"]["Webhook"]["Properties"]["Path"]
            self.assertIn(f"POST {route} ", alarm["AlarmDescription"]["Fn::Sub"], function)
            self.assertIn("${NoDeliveryAlarmHours}", alarm["AlarmDescription"]["Fn::Sub"], function)
        # Only these have the condition (above), and none of them goes without it.
        unconditional = [k for k, v in resources("AWS::CloudWatch::Alarm").items() if "NoDeliveries" in k and k not in silent]
        self.assertEqual(unconditional, [])

    def test_one_contained_panic_alarms(self):
        # The outcomes as shared/src/ingest.rs and shared/src/answer.rs log a contained panic.
        code = (REPO / "shared/src/ingest.rs").read_text() + (REPO / "shared/src/answer.rs").read_text()
        for outcome in ["quarantined_internal_error", "internal_error"]:
            self.assertIn(f'"{outcome}"', code)
        pattern = metric_filters()["InternalErrorsMetricFilter"]["Properties"]["FilterPattern"]
        self.assertEqual(
            pattern,
            '{ ($.fields.outcome = "quarantined_internal_error") || ($.fields.outcome = "internal_error") }',
        )
        props = resources("AWS::CloudWatch::Alarm")["InternalErrorsAlarm"]["Properties"]
        self.assertEqual((props["MetricName"], props["Statistic"]), ("InternalErrors", "Sum"))
        self.assertEqual((props["Threshold"], props["ComparisonOperator"]), (0, "GreaterThanThreshold"))

    def test_every_alarm_notifies_the_topic_when_it_fires_and_clears(self):
        for name, alarm in resources("AWS::CloudWatch::Alarm").items():
            self.assertEqual(alarm["Properties"]["AlarmActions"], [{"Ref": "AlarmTopic"}], name)
            self.assertEqual(alarm["Properties"]["OKActions"], [{"Ref": "AlarmTopic"}], name)


class Logs(unittest.TestCase):
    def test_metric_filters_count_deliveries_by_kind_and_outcome_from_the_shared_log_group(self):
        filters = {f["Properties"]["FilterName"]: f["Properties"] for f in metric_filters().values()}
        self.assertEqual(sorted(filters), ["deliveries", "duplicates", "internal-errors"])
        for props in filters.values():
            self.assertEqual(props["LogGroupName"], {"Ref": "WebhookLogGroup"})
        dims = {d["Key"]: d["Value"] for d in filters["deliveries"]["MetricTransformations"][0]["Dimensions"]}
        self.assertEqual(dims, {"Kind": "$.fields.kind", "Outcome": "$.fields.outcome"})

    def test_every_webhook_function_logs_to_the_shared_log_group(self):
        t = template()
        self.assertEqual(t["Globals"]["Function"]["LoggingConfig"]["LogGroup"], {"Ref": "WebhookLogGroup"})
        for name, function in webhook_functions().items():
            self.assertNotIn("LogGroup", function["Properties"].get("LoggingConfig", {}), name)
        log_groups = resources("AWS::Logs::LogGroup")
        for name, group in log_groups.items():
            self.assertEqual(group["Properties"]["RetentionInDays"], {"Ref": "LogRetentionInDays"}, name)

    def test_the_api_writes_an_access_log_with_retention(self):
        api = resources()["WebhookApi"]["Properties"]
        settings = api["AccessLogSettings"]
        self.assertEqual(settings["DestinationArn"], {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]})
        fields = json.loads(settings["Format"])
        self.assertEqual(fields["ip"], "$context.identity.sourceIp")
        self.assertIn("status", fields)

    def test_saved_queries_answer_the_operators_questions(self):
        queries = {q["Properties"]["Name"]["Fn::Sub"]: q["Properties"] for q in resources("AWS::Logs::QueryDefinition").values()}
        wanted = {
            "what came in for one message": "fields.id",
            "why deliveries were quarantined": "fields.reason",
            # The outcomes and the field of shared/src/ingest.rs for a caught panic.
            "deliveries a bug stopped": 'fields.outcome in ["quarantined_internal_error", "internal_error"] or ispresent(fields.panic_at)',
            "which routes answer 401": "fields.status = 401",
            "cold starts": "@logStream",
        }
        for title, needle in wanted.items():
            name = "Rollcall/${AWS::StackName}/" + title
            self.assertIn(name, queries)
            self.assertEqual(queries[name]["LogGroupNames"], [{"Ref": "WebhookLogGroup"}], title)
            self.assertIn(needle, queries[name]["QueryString"], title)


class Dashboard(unittest.TestCase):
    def test_the_dashboard_shows_what_the_docs_say(self):
        body = dashboard_body()
        titles = [w["properties"]["title"] for w in body["widgets"]]
        documented = (REPO / "docs" / "deploying.md").read_text()
        for title in titles:
            self.assertTrue(title in documented, f"docs/deploying.md names the widget {title!r}")
        text = json.dumps(body)
        for outcome in ["queued", "quarantined", "unauthorized", "not_configured", "queue_unavailable"]:
            self.assertIn(f'Outcome=\\"{outcome}\\"', text)
        self.assertIn('MetricName=\\"Duplicates\\"', text)
        for queue in QUEUES:
            self.assertIn(f"<{queue}.QueueName>", text)
        self.assertIn('"p50"', text)
        self.assertIn('"p99"', text)
        self.assertIn("count_distinct(@logStream)", text)
        self.assertIn("<Consumer>", text)
        self.assertIn("<MessagesSubscriptionDeadLetterQueue.QueueName>", text)
        for metric in ["NumberOfNotificationsFailed", "NumberOfNotificationsRedrivenToDlq", "NumberOfNotificationsFailedToRedriveToDlq"]:
            self.assertIn(f'"{metric}"', text)

    def test_delivery_widgets_cover_every_kind_by_search_not_by_a_line_per_kind(self):
        text = json.dumps(dashboard_body())
        self.assertIn("SEARCH('{Rollcall/<AWS::StackName>,Kind,Outcome}", text)
        self.assertNotIn("com.", text)

    def test_widgets_do_not_overlap(self):
        cells = set()
        for w in dashboard_body()["widgets"]:
            for x in range(w["x"], w["x"] + w["width"]):
                for y in range(w["y"], w["y"] + w["height"]):
                    self.assertNotIn((x, y), cells, w["properties"]["title"])
                    cells.add((x, y))
            self.assertLessEqual(w["x"] + w["width"], 24)


class Scale(unittest.TestCase):
    def test_functions_time_out_within_3_seconds(self):
        self.assertLessEqual(template()["Globals"]["Function"]["Timeout"], 3)
        for name, function in webhook_functions().items():
            self.assertNotIn("Timeout", function["Properties"], name)

    def test_a_guard_of_0_reserves_nothing(self):
        t = template()
        self.assertEqual(t["Parameters"]["FunctionConcurrencyGuard"]["Default"], 0)
        self.assertEqual(
            t["Globals"]["Function"]["ReservedConcurrentExecutions"],
            {"Fn::If": ["HasConcurrencyGuard", {"Ref": "FunctionConcurrencyGuard"}, {"Ref": "AWS::NoValue"}]},
        )
        self.assertEqual(
            t["Conditions"]["HasConcurrencyGuard"], {"Fn::Not": [{"Fn::Equals": [{"Ref": "FunctionConcurrencyGuard"}, "0"]}]}
        )
        for name, function in transformed()["Resources"].items():
            if function["Type"] == "AWS::Lambda::Function":
                self.assertEqual(
                    function["Properties"]["ReservedConcurrentExecutions"]["Fn::If"][0], "HasConcurrencyGuard", name
                )

    def test_the_consumer_may_use_only_its_queue_table_and_log_group(self):
        out = transformed()["Resources"]
        consumer = out["ConsumerFunction"]["Properties"]
        self.assertEqual(consumer["Role"], {"Fn::GetAtt": ["ConsumerRole", "Arn"]})
        self.assertNotIn("ConsumerFunctionRole", out, "SAM made a role (with a managed policy on every queue)")
        role = out["ConsumerRole"]["Properties"]
        self.assertNotIn("ManagedPolicyArns", role)
        granted = {}
        for policy in role["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                self.assertEqual(statement["Effect"], "Allow")
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                for action in actions:
                    granted[action] = statement["Resource"]
        self.assertEqual(
            granted,
            {
                "sqs:ReceiveMessage": {"Fn::GetAtt": ["MessagesQueue", "Arn"]},
                "sqs:DeleteMessage": {"Fn::GetAtt": ["MessagesQueue", "Arn"]},
                "sqs:GetQueueAttributes": {"Fn::GetAtt": ["MessagesQueue", "Arn"]},
                "dynamodb:GetItem": {"Fn::GetAtt": ["ProcessedTable", "Arn"]},
                "dynamodb:PutItem": {"Fn::GetAtt": ["ProcessedTable", "Arn"]},
                "dynamodb:UpdateItem": {"Fn::GetAtt": ["ProcessedTable", "Arn"]},
                "logs:CreateLogStream": {"Fn::GetAtt": ["ConsumerLogGroup", "Arn"]},
                "logs:PutLogEvents": {"Fn::GetAtt": ["ConsumerLogGroup", "Arn"]},
            },
        )

    def test_only_the_webhook_functions_may_send_to_the_quarantine(self):
        """Sending to the quarantine amounts to delivery rights for Omerlo and Mighty Networks (docs/deploying.md):
        every statement of the stack that could allow it belongs to a webhook function, which must quarantine."""
        out = transformed()["Resources"]
        webhook_roles = {f"{name}Role" for name in webhook_functions()}

        def statements(resource):
            props = resource["Properties"]
            if resource["Type"] == "AWS::IAM::Role":
                for policy in props.get("Policies", []):
                    yield from policy["PolicyDocument"]["Statement"]
            elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::SQS::QueuePolicy"):
                yield from props["PolicyDocument"]["Statement"]

        def listed(value):
            return value if isinstance(value, list) else [value]

        senders = set()
        for name, resource in out.items():
            if resource["Type"] == "AWS::IAM::Role":
                for arn in resource["Properties"].get("ManagedPolicyArns", []):
                    self.assertNotIn("SQS", json.dumps(arn), f"{name}: an AWS managed SQS policy")
            for statement in statements(resource):
                actions = [a.lower() for a in listed(statement.get("Action", []))]
                sends = any(a in ("sqs:sendmessage", "sqs:*", "*") for a in actions)
                reaches = any(
                    "QuarantineQueue" in json.dumps(r) or r == "*" for r in listed(statement.get("Resource", []))
                )
                if statement["Effect"] == "Allow" and sends and reaches:
                    senders.add(name)
        self.assertEqual(senders, webhook_roles)
        for name in webhook_roles:
            for statement in statements(out[name]):
                if "QuarantineQueue" in json.dumps(statement.get("Resource")):
                    self.assertEqual(statement["Action"], "sqs:SendMessage", name)

    def test_the_default_endpoint_can_be_turned_off_with_a_custom_domain(self):
        t = template()
        api = t["Resources"]["WebhookApi"]["Properties"]
        self.assertEqual(api["DisableExecuteApiEndpoint"], {"Fn::If": ["DisableDefaultEndpoint", True, False]})
        self.assertIn({"Condition": "HasCustomDomain"}, t["Conditions"]["DisableDefaultEndpoint"]["Fn::And"])

    def test_outputs_name_every_function_and_queue(self):
        t = template()
        values = [o["Value"] for o in t["Outputs"].values()]
        for name in resources("AWS::Serverless::Function"):
            self.assertIn({"Ref": name}, values, name)
        for queue in QUEUES:
            self.assertIn({"Fn::GetAtt": [queue, "Arn"]}, values, queue)
            self.assertIn({"Ref": queue}, values, queue)


def listed(value):
    return value if isinstance(value, list) else [value]


def registry_providers():
    """How many providers the registry has: `Provider::ALL`, in whichever crate of the workspace holds it
    (shared/src/kind.rs today)."""
    counts = set()
    for path in REPO.glob("*/src/**/*.rs"):
        counts.update(int(n) for n in re.findall(r"pub const ALL: \[Provider; (\d+)\]", path.read_text()))
    assert len(counts) == 1, f"one Provider::ALL in the workspace, found sizes {counts}"
    return counts.pop()


def filter_policy(subscription, path=TEMPLATE):
    """A subscription's filter policy as a dict (consumer.yaml's: its parameter's default)."""
    policy = subscription["Properties"]["FilterPolicy"]
    if policy == {"Ref": "FilterPolicy"}:
        policy = template(path)["Parameters"]["FilterPolicy"]["Default"]
    return json.loads(policy) if isinstance(policy, str) else policy


class Topic(unittest.TestCase):
    """The messages topic and every subscription of template.yaml and consumer.yaml."""

    def subscriptions(self):
        for path in (TEMPLATE, CONSUMER):
            for name, subscription in resources("AWS::SNS::Subscription", path).items():
                if subscription["Properties"]["Protocol"] == "sqs":
                    yield path, name, subscription["Properties"]

    def test_the_topic_is_fifo_deduplicating_per_group_and_encrypted_with_its_own_key(self):
        topic = resources()["MessagesTopic"]["Properties"]
        self.assertIs(topic["FifoTopic"], True)
        self.assertIs(topic["ContentBasedDeduplication"], False)
        self.assertEqual(topic["FifoThroughputScope"], "MessageGroup")
        self.assertEqual(topic["KmsMasterKeyId"], {"Ref": "MessagesTopicKey"})
        self.assertTrue(topic["TopicName"]["Fn::Sub"].endswith(".fifo"))
        key = resources()["MessagesTopicKey"]["Properties"]
        self.assertIs(key["EnableKeyRotation"], True)
        sns = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "sns.amazonaws.com"}]
        self.assertEqual(len(sns), 1)
        self.assertEqual(sorted(sns[0]["Action"]), ["kms:Decrypt", "kms:GenerateDataKey*"])

    def test_the_archive_is_off_by_default(self):
        t = template()
        self.assertEqual(t["Parameters"]["ArchivePolicyDays"]["Default"], 0)
        self.assertEqual(
            t["Resources"]["MessagesTopic"]["Properties"]["ArchivePolicy"],
            {"Fn::If": ["HasArchivePolicy", {"MessageRetentionPeriod": {"Ref": "ArchivePolicyDays"}}, {"Ref": "AWS::NoValue"}]},
        )
        self.assertEqual(
            t["Conditions"]["HasArchivePolicy"], {"Fn::Not": [{"Fn::Equals": [{"Ref": "ArchivePolicyDays"}, "0"]}]}
        )

    def test_the_messages_queue_is_the_first_subscription_and_keeps_its_url(self):
        props = resources("AWS::SNS::Subscription")["MessagesSubscription"]["Properties"]
        self.assertEqual(props["Endpoint"], {"Fn::GetAtt": ["MessagesQueue", "Arn"]})
        self.assertNotIn("QueueName", resources()["MessagesQueue"]["Properties"], "a new name would replace it")
        outputs = template()["Outputs"]
        self.assertEqual(outputs["MessagesQueueUrl"]["Value"], {"Ref": "MessagesQueue"})
        self.assertEqual(outputs["TopicArn"]["Value"], {"Ref": "MessagesTopic"})
        self.assertEqual(outputs["SmokeQueueUrl"]["Value"], {"Ref": "SmokeQueue"})

    def test_every_subscription_delivers_raw_to_a_fifo_queue_deduplicating_per_group_with_a_fifo_dead_letter_queue(self):
        count = 0
        for path, name, props in self.subscriptions():
            count += 1
            queues = resources("AWS::SQS::Queue", path)
            self.assertIs(props["RawMessageDelivery"], True, name)
            queue = props["Endpoint"]["Fn::GetAtt"][0]
            dead_letter = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            for q in (queue, dead_letter):
                qp = queues[q]["Properties"]
                self.assertIs(qp["FifoQueue"], True, f"{path.name} {q}")
                self.assertEqual(qp["DeduplicationScope"], "messageGroup", f"{path.name} {q}")
                self.assertEqual(qp["FifoThroughputLimit"], "perMessageGroupId", f"{path.name} {q}")
                self.assertIs(qp["SqsManagedSseEnabled"], True, f"{path.name} {q}")
        self.assertEqual(count, 3, "the messages and smoke subscriptions, consumer.yaml's")

    def test_only_the_topic_may_send_to_a_subscribed_queue_or_its_dead_letter_queue(self):
        for path, name, props in self.subscriptions():
            policies = resources("AWS::SQS::QueuePolicy", path).values()
            queue = props["Endpoint"]["Fn::GetAtt"][0]
            dead_letter = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            for q in (queue, dead_letter):
                mine = [p for p in policies if {"Ref": q} in p["Properties"]["Queues"]]
                self.assertEqual(len(mine), 1, f"{path.name} {q}: its own queue policy")
                self.assertEqual(mine[0]["Properties"]["Queues"], [{"Ref": q}], f"{path.name} {q}")
                for statement in mine[0]["Properties"]["PolicyDocument"]["Statement"]:
                    self.assertEqual(statement["Effect"], "Allow")
                    self.assertEqual(statement["Principal"], {"Service": "sns.amazonaws.com"}, q)
                    self.assertEqual(statement["Action"], "sqs:SendMessage", q)
                    self.assertEqual(statement["Resource"], {"Fn::GetAtt": [q, "Arn"]}, q)
                    self.assertEqual(statement["Condition"], {"ArnEquals": {"aws:SourceArn": props["TopicArn"]}}, q)

    def test_smoke_messages_reach_only_the_smoke_queue(self):
        """The filters list the smoke sources the registry's providers make (generated by
        testkit/src/template.rs from the pipeline; functions/tests/it/template.rs holds the list to it)."""
        smoke = filter_policy(resources("AWS::SNS::Subscription")["SmokeSubscription"])
        self.assertEqual(list(smoke), ["source"])
        sources = smoke["source"]
        self.assertEqual(len(sources), registry_providers())
        self.assertEqual(len(set(sources)), len(sources))
        for source in sources:
            self.assertTrue(source.endswith(SMOKE_SUFFIX), source)
        for path, name, props in self.subscriptions():
            if name == "SmokeSubscription":
                continue
            policy = filter_policy({"Properties": props}, path)
            self.assertIn({"anything-but": sources}, policy.get("source", []), f"{path.name} {name}")
            self.assertEqual(props.get("FilterPolicyScope"), "MessageAttributes" if path == TEMPLATE else {"Ref": "FilterPolicyScope"})

    def test_no_webhook_function_publishes_before_the_messages_subscription_exists(self):
        out = transformed()["Resources"]
        functions = [n for n, r in out.items() if r["Type"] == "AWS::Lambda::Function" and n != "ConsumerFunction"]
        self.assertEqual(len(functions), len(webhook_functions()))
        for name in functions:
            self.assertLessEqual({"MessagesSubscription", "MessagesQueuePolicy"}, set(listed(out[name].get("DependsOn", []))), name)

    def test_webhook_functions_may_publish_to_the_topic_only(self):
        out = transformed()["Resources"]
        publishers = {}
        for name, resource in out.items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            for policy in resource["Properties"].get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    for action in listed(statement["Action"]):
                        if action.lower().startswith("sns:") or action in ("*",):
                            publishers.setdefault(name, []).append((action, statement["Resource"]))
                        if action.lower().startswith("kms:"):
                            self.assertEqual(statement["Resource"], {"Fn::GetAtt": ["MessagesTopicKey", "Arn"]}, name)
                            self.assertEqual(sorted(listed(statement["Action"])), ["kms:Decrypt", "kms:GenerateDataKey*"])
        self.assertEqual(set(publishers), {f"{n}Role" for n in webhook_functions()})
        for name, grants in publishers.items():
            self.assertEqual(grants, [("sns:Publish", {"Ref": "MessagesTopic"})], name)

    def test_the_topic_alarms_on_failed_redriven_and_lost_deliveries(self):
        watched = {}
        for name, alarm in resources("AWS::CloudWatch::Alarm").items():
            props = alarm["Properties"]
            if props.get("Namespace") == "AWS/SNS":
                self.assertEqual(props["Dimensions"], [{"Name": "TopicName", "Value": {"Fn::GetAtt": ["MessagesTopic", "TopicName"]}}])
                self.assertEqual((props["Statistic"], props["Threshold"]), ("Sum", 1), name)
                watched[props["MetricName"]] = props
        self.assertEqual(
            sorted(watched),
            ["NumberOfNotificationsFailed", "NumberOfNotificationsFailedToRedriveToDlq", "NumberOfNotificationsRedrivenToDlq"],
        )
        self.assertIn("LOST", watched["NumberOfNotificationsFailedToRedriveToDlq"]["AlarmDescription"]["Fn::Sub"])

    def test_every_dead_letter_queue_alarms_on_its_depth(self):
        for path in (TEMPLATE, CONSUMER):
            depth = set()
            for alarm in resources("AWS::CloudWatch::Alarm", path).values():
                props = alarm["Properties"]
                if props.get("MetricName") == "ApproximateNumberOfMessagesVisible":
                    self.assertEqual((props["Threshold"], props["ComparisonOperator"]), (1, "GreaterThanOrEqualToThreshold"))
                    depth.add(props["Dimensions"][0]["Value"]["Fn::GetAtt"][0])
            dead_letters = set()
            for name, queue in resources("AWS::SQS::Queue", path).items():
                if "RedrivePolicy" in queue["Properties"]:
                    dead_letters.add(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0])
            for _, name, props in self.subscriptions():
                dead_letters.add(props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0])
            dead_letters &= set(resources("AWS::SQS::Queue", path))
            self.assertTrue(dead_letters, path.name)
            self.assertLessEqual(dead_letters, depth, path.name)


class Consumer(unittest.TestCase):
    """consumer.yaml: one more consumer of a deployed stack."""

    def test_its_parameters_are_the_topic_and_the_filter(self):
        params = template(CONSUMER)["Parameters"]
        self.assertLessEqual({"TopicArn", "FilterPolicy", "FilterPolicyScope"}, set(params))
        self.assertEqual(params["FilterPolicyScope"]["Default"], "MessageAttributes")
        self.assertEqual(sorted(params["FilterPolicyScope"]["AllowedValues"]), ["MessageAttributes", "MessageBody"])
        self.assertNotIn("Default", params["TopicArn"])

    def test_its_default_filter_excludes_exactly_what_the_stack_excludes(self):
        stack = filter_policy(resources("AWS::SNS::Subscription")["MessagesSubscription"])
        consumer = json.loads(template(CONSUMER)["Parameters"]["FilterPolicy"]["Default"])
        self.assertEqual(consumer, stack)

    def test_its_queue_moves_what_the_consumer_failed_to_its_own_dead_letter_queue(self):
        queue = resources("AWS::SQS::Queue", CONSUMER)["Queue"]["Properties"]
        self.assertEqual(queue["RedrivePolicy"]["deadLetterTargetArn"], {"Fn::GetAtt": ["FailedMessagesQueue", "Arn"]})
        subscription = resources("AWS::SNS::Subscription", CONSUMER)["Subscription"]
        self.assertEqual(
            subscription["Properties"]["RedrivePolicy"]["deadLetterTargetArn"],
            {"Fn::GetAtt": ["UndeliveredMessagesQueue", "Arn"]},
        )
        self.assertLessEqual({"QueuePolicy", "UndeliveredMessagesQueuePolicy"}, set(listed(subscription["DependsOn"])))

    def test_every_queue_pins_the_message_size_sns_delivers(self):
        for name, queue in resources("AWS::SQS::Queue", CONSUMER).items():
            self.assertEqual(queue["Properties"]["MaximumMessageSize"], 262144, name)


class LocalInvoke(unittest.TestCase):
    """`sam local invoke F -e events/… --env-vars events/env.json`, as SAM resolves the function's environment."""

    def resolved(self):
        from samcli.commands.local.cli_common.invoke_context import InvokeContext
        from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
        from samcli.lib.providers.sam_function_provider import SamFunctionProvider
        from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

        stacks, _ = SamLocalStackProvider.get_stacks(str(TEMPLATE))
        provider = SamFunctionProvider(stacks)
        env_vars = InvokeContext._get_env_vars_value(str(REPO / "events" / "env.json"))
        runner = LocalLambdaRunner(
            local_runtime=None,
            function_provider=provider,
            cwd=str(REPO),
            real_path=str(REPO),
            aws_region="us-east-1",
            env_vars_values=env_vars,
        )
        # No profile or credentials are looked up: the local function gets the placeholders below.
        runner.get_aws_creds = lambda: {"region": "us-east-1", "key": "test", "secret": "test"}
        return env_vars["Parameters"], {
            name: runner._make_env_vars(provider.get(name)).resolve()
            for name in resources("AWS::Serverless::Function")
            if name != "ConsumerFunction"
        }

    def test_every_function_gets_the_local_endpoint_and_queues_of_env_json(self):
        parameters, functions = self.resolved()
        self.assertEqual(len(functions), len(webhook_functions()))
        for name, env in functions.items():
            for var in ["AWS_ENDPOINT_URL", "QUEUE_URL", "QUARANTINE_QUEUE_URL", "TOPIC_ARN"]:
                self.assertEqual(env.get(var), parameters[var], f"{name}: {var}")
            # Empty, so unset: the function sends to QUEUE_URL, not to the stack's topic.
            self.assertEqual(env["TOPIC_ARN"], "", name)
            secret_vars = ["OMERLO_API_KEY", "MIGHTY_NETWORKS_API_KEY", "WIX_PUBLIC_KEY", "CALENDLY_SIGNING_KEY"]
            secrets = [v for v in secret_vars if v in env]
            self.assertEqual(len(secrets), 1, name)
            self.assertEqual(env[secrets[0]], parameters[secrets[0]], name)
        self.assertTrue(parameters["AWS_ENDPOINT_URL"].startswith("http://"))
        self.assertTrue(parameters["QUEUE_URL"].startswith(parameters["AWS_ENDPOINT_URL"] + "/"))

    def test_on_aws_the_endpoint_is_empty(self):
        # shared/src/aws.rs reads an empty AWS_ENDPOINT_URL as unset (aws::tests).
        self.assertEqual(template()["Globals"]["Function"]["Environment"]["Variables"]["AWS_ENDPOINT_URL"], "")

    def test_on_aws_the_functions_publish_to_the_topic(self):
        variables = template()["Globals"]["Function"]["Environment"]["Variables"]
        self.assertEqual(variables["TOPIC_ARN"], {"Ref": "MessagesTopic"})
        self.assertEqual(variables["QUEUE_URL"], "")


class Checkov(unittest.TestCase):
    """checkov on the template and on its SAM-transformed form; the skipped checks and why: .checkov.yaml."""

    def report(self, path, config=True):
        checkov = os.environ.get("CHECKOV", str(REPO / ".venv-checkov" / "bin" / "checkov"))
        settings = ["--config-file", str(REPO / ".checkov.yaml")] if config else []
        result = subprocess.run(
            [checkov, *settings, "-f", str(path), "--framework", "cloudformation",
             "--skip-download", "--compact", "--quiet", "-o", "json"],
            # Without the settings, away from the .checkov.yaml checkov reads from its working directory.
            capture_output=True, text=True, cwd=REPO if config else tempfile.gettempdir(),
        )
        report = json.loads(result.stdout) if result.stdout.strip() else {}
        failed = [
            f"{f['check_id']} {f['resource']}: {f['check_name']}"
            for f in report.get("results", {}).get("failed_checks", [])
        ]
        # With no finding at all, checkov prints its summary alone.
        summary = report.get("summary", report)
        self.assertEqual(summary.get("parsing_errors"), 0, result.stdout[-2000:] + result.stderr[-2000:])
        return report, failed, result

    def checkov(self, path):
        report, failed, result = self.report(path)
        self.assertEqual(failed, [], result.stderr[-2000:])
        self.assertGreater(report.get("summary", {}).get("passed", 0), 0, result.stdout[-2000:] + result.stderr[-2000:])

    def test_template(self):
        self.checkov(TEMPLATE)

    def test_transformed_template(self):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "transformed.json"
            path.write_text(json.dumps(transformed(), indent=1))
            self.checkov(path)

    def test_consumer_template(self):
        """checkov has one check for consumer.yaml's resources (queues, their policies, the subscription, alarms):
        CKV_AWS_27, skipped in .checkov.yaml (SSE-SQS). With the settings nothing fails; without them, only that
        check, on each queue: checkov read the template."""
        for path in (CONSUMER, None):
            with tempfile.TemporaryDirectory() as folder:
                if path is None:
                    path = Path(folder) / "transformed.json"
                    path.write_text(json.dumps(transformed(CONSUMER), indent=1))
                _, failed, result = self.report(path)
                self.assertEqual(failed, [], result.stderr[-2000:])
                report, _, _ = self.report(path, config=False)
                found = sorted(
                    (f["check_id"], f["resource"]) for f in report.get("results", {}).get("failed_checks", [])
                )
                queues = sorted(("CKV_AWS_27", f"AWS::SQS::Queue.{q}") for q in resources("AWS::SQS::Queue", CONSUMER))
                self.assertEqual(found, queues, path.name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
