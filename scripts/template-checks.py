#!/usr/bin/env python3
"""Checks of template.yaml that need the SAM tools: what the operator gets (alarms, metric filters, dashboard,
saved queries, outputs, the concurrency guard, the consumer's role), the documented local invoke as SAM itself
resolves its environment, and checkov on the template and on its SAM-transformed form.

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
QUEUES = ["MessagesQueue", "MessagesDeadLetterQueue", "QuarantineQueue"]


def template():
    return yaml_parse(TEMPLATE.read_text())


def resources(kind=None):
    found = template()["Resources"]
    return {k: v for k, v in found.items() if kind is None or v["Type"] == kind}


def webhook_functions():
    return {k: v for k, v in resources("AWS::Serverless::Function").items() if k != "ConsumerFunction"}


def transformed():
    """The template as CloudFormation gets it after the SAM transform (no AWS call: fixed region, no managed
    policy look-up, a placeholder code location as `sam validate` uses)."""
    source = template()
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
            for var in ["AWS_ENDPOINT_URL", "QUEUE_URL", "QUARANTINE_QUEUE_URL"]:
                self.assertEqual(env.get(var), parameters[var], f"{name}: {var}")
            secrets = [v for v in ["OMERLO_API_KEY", "MIGHTY_NETWORKS_API_KEY", "WIX_PUBLIC_KEY"] if v in env]
            self.assertEqual(len(secrets), 1, name)
            self.assertEqual(env[secrets[0]], parameters[secrets[0]], name)
        self.assertTrue(parameters["AWS_ENDPOINT_URL"].startswith("http://"))
        self.assertTrue(parameters["QUEUE_URL"].startswith(parameters["AWS_ENDPOINT_URL"] + "/"))

    def test_on_aws_the_endpoint_is_empty(self):
        # shared/src/aws.rs reads an empty AWS_ENDPOINT_URL as unset (aws::tests).
        self.assertEqual(template()["Globals"]["Function"]["Environment"]["Variables"]["AWS_ENDPOINT_URL"], "")


class Checkov(unittest.TestCase):
    """checkov on the template and on its SAM-transformed form; the skipped checks and why: .checkov.yaml."""

    def checkov(self, path):
        checkov = os.environ.get("CHECKOV", str(REPO / ".venv-checkov" / "bin" / "checkov"))
        result = subprocess.run(
            [checkov, "--config-file", str(REPO / ".checkov.yaml"), "-f", str(path), "--framework", "cloudformation",
             "--skip-download", "--compact", "--quiet", "-o", "json"],
            capture_output=True, text=True, cwd=REPO,
        )
        report = json.loads(result.stdout) if result.stdout.strip() else {}
        failed = [
            f"{f['check_id']} {f['resource']}: {f['check_name']}"
            for f in report.get("results", {}).get("failed_checks", [])
        ]
        self.assertEqual(failed, [], result.stderr[-2000:])
        self.assertGreater(report.get("summary", {}).get("passed", 0), 0, result.stdout[-2000:] + result.stderr[-2000:])

    def test_template(self):
        self.checkov(TEMPLATE)

    def test_transformed_template(self):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "transformed.json"
            path.write_text(json.dumps(transformed(), indent=1))
            self.checkov(path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
