//! The parts of `template.yaml` and `consumer.yaml` that derive from the registry of kinds: each kind's
//! function, the alarm on its failures and throttles, the alarm on its answers (mostly 401 or quarantined), the
//! optional alarm on its silence (no delivery for `NoDeliveryAlarmHours` hours), and its two outputs; the
//! stack's two subscriptions of the messages topic, whose filter policies list the `source` of every provider's
//! smoke delivery (the smoke subscription takes only those, the messages subscription all but those); and the
//! consumer template's default filter policy, which excludes them too. SNS has no "anything-but suffix", so the
//! list is exact: it is read from the pipeline itself, each provider's smoke delivery (`rollcall::smoke`)
//! ingested into a [`MemoryQueue`], so a new provider is covered.
//! They stay literal in the templates (what `sam`, cfn-lint and a reviewer read), between marker lines;
//! `cargo xtask regenerate` rewrites them, and a test checks that the committed
//! templates are what [`render`] and [`render_consumer`] make. The rest of each template is written by hand.

use crate::deliveries::{WixSigner, header_map, secrets};
use crate::memory::MemoryQueue;
use rollcall::config::Limits;
use rollcall::smoke::Content;
use rollcall::{Accepted, Kind, Message, Pipeline, Provider};
use std::fmt::Write;

/// Writes a template's generated regions anew.
pub type Render = fn(&str) -> Result<String, String>;

/// Each template with generated regions, by its path in the repository, and what writes them.
pub const TEMPLATES: [(&str, Render); 2] = [
    ("template.yaml", render),
    ("consumer.yaml", render_consumer),
];

/// The lines that open and close each generated region of `template.yaml`: the resources, the subscriptions,
/// then the outputs.
const REGIONS: [(&str, &str); 3] = [
    (
        "  # BEGIN per-kind resources: written from the registry by `regenerate` (CONTRIBUTING.md); do not edit",
        "  # END per-kind resources",
    ),
    (
        "  # BEGIN subscriptions: written from the registry by `regenerate` (CONTRIBUTING.md); do not edit",
        "  # END subscriptions",
    ),
    (
        "  # BEGIN per-kind outputs: written from the registry by `regenerate` (CONTRIBUTING.md); do not edit",
        "  # END per-kind outputs",
    ),
];

/// The lines around the default filter policy of `consumer.yaml`.
const CONSUMER_REGION: (&str, &str) = (
    "    # BEGIN default filter policy: written from the registry by `regenerate` (CONTRIBUTING.md); do not edit",
    "    # END default filter policy",
);

/// `template` (`template.yaml`) with its generated regions written anew from the registry; an error names a
/// missing marker or a smoke delivery the pipeline did not queue.
pub fn render(template: &str) -> Result<String, String> {
    let sources = smoke_sources()?;
    replace(
        template,
        REGIONS
            .into_iter()
            .zip([resources(), subscriptions(&sources), outputs()]),
    )
}

/// `template` (`consumer.yaml`) with its default filter policy written anew from the registry.
pub fn render_consumer(template: &str) -> Result<String, String> {
    let policy = excluding_smoke(&smoke_sources()?);
    let body = format!("    Default: '{policy}'\n");
    replace(template, [(CONSUMER_REGION, body)])
}

/// `text` with the lines between each pair of marker lines replaced by its body; an error names a missing marker.
/// Every generated region of a hand-written file is written this way (the templates, the deploying guide's rows).
pub fn replace(
    text: &str,
    regions: impl IntoIterator<Item = ((impl AsRef<str>, impl AsRef<str>), String)>,
) -> Result<String, String> {
    let mut out = text.to_owned();
    for ((begin, end), body) in regions {
        let (begin, end) = (begin.as_ref(), end.as_ref());
        let start = out
            .find(&format!("{begin}\n"))
            .ok_or_else(|| format!("no line `{begin}`"))?
            + begin.len()
            + 1;
        let stop = out[start..]
            .find(&format!("{end}\n"))
            .ok_or_else(|| format!("no line `{end}` after `{begin}`"))?
            + start;
        out.replace_range(start..stop, &body);
    }
    Ok(out)
}

/// The `source` of every provider's smoke delivery, as the pipeline makes it: sorted, each once.
pub fn smoke_sources() -> Result<Vec<String>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting a runtime: {e}"))?;
    let pipeline = Pipeline::new(secrets(), MemoryQueue::new(), Limits::default());
    let signer = WixSigner::new();
    for provider in Provider::ALL {
        let smoke = rollcall::smoke::delivery(provider, "00000000-0000-4000-8000-000000000000");
        let body = match smoke.content {
            Content::Body(body) => body.to_string().into_bytes(),
            Content::WixClaims(claims) => signer.sign(&claims).into_bytes(),
        };
        let headers = header_map(provider, &body);
        let answer = runtime.block_on(pipeline.ingest(smoke.kind, &headers, &body));
        if !matches!(answer, Ok(Accepted::Queued { .. })) {
            return Err(format!(
                "the smoke delivery of {provider:?} was not queued: {answer:?}"
            ));
        }
    }
    let mut sources = pipeline
        .queue()
        .messages()
        .iter()
        .map(|body| Message::from_body(body).map(|m| m.source))
        .collect::<Result<Vec<String>, _>>()
        .map_err(|e| format!("a smoke message does not read back: {e}"))?;
    sources.sort();
    sources.dedup();
    Ok(sources)
}

/// The filter policy (attribute scope) that takes every message but the smoke ones: compact JSON.
pub fn excluding_smoke(sources: &[String]) -> String {
    serde_json::json!({"source": [{"anything-but": sources}]}).to_string()
}

/// The filter policy (attribute scope) that takes only the smoke messages: compact JSON.
pub fn only_smoke(sources: &[String]) -> String {
    serde_json::json!({"source": sources}).to_string()
}

/// The messages subscription (every message but the smoke ones) and the smoke subscription (only those), each
/// followed by a blank line.
fn subscriptions(sources: &[String]) -> String {
    let mut out = String::new();
    for (id, queue, policy, what) in [
        (
            "MessagesSubscription",
            "MessagesQueue",
            excluding_smoke(sources),
            "every message but the smoke ones",
        ),
        (
            "SmokeSubscription",
            "SmokeQueue",
            only_smoke(sources),
            "only the smoke messages (`rollcall smoke --check-queue`)",
        ),
    ] {
        let _ = write!(
            out,
            r#"  # {what}
  {id}:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref MessagesTopic
      Protocol: sqs
      Endpoint: !GetAtt {queue}.Arn
      RawMessageDelivery: true
      FilterPolicyScope: MessageAttributes
      FilterPolicy: {policy}
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt {id}DeadLetterQueue.Arn

"#
        );
    }
    out
}

/// Every kind's function and alarms (the last only with `NoDeliveryAlarmHours` set), in registry order, each
/// followed by a blank line.
fn resources() -> String {
    let mut out = String::new();
    for kind in Kind::ALL {
        let (id, binary, route) = (kind.logical_name(), kind.binary(), kind.route());
        let (var, provider) = (kind.provider().secret_var(), kind.provider().logical_name());
        let message_type = kind.message_type();
        let _ = write!(
            out,
            r#"  {id}Function:
    Type: AWS::Serverless::Function
    DependsOn: [MessagesSubscription, MessagesQueuePolicy]
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: {binary}
    Properties:
      Description: Rollcall webhook POST {route}
      Policies:
        - Statement:
            - Sid: PublishToRollcallTopic
              Effect: Allow
              Action: sns:Publish
              Resource: !Ref MessagesTopic
            - Sid: EncryptForRollcallTopic
              Effect: Allow
              Action:
                - kms:GenerateDataKey*
                - kms:Decrypt
              Resource: !GetAtt MessagesTopicKey.Arn
            - Sid: SendToRollcallQuarantine
              Effect: Allow
              Action: sqs:SendMessage
              Resource: !GetAtt QuarantineQueue.Arn
      Environment:
        Variables:
          {var}: !Sub "{{{{resolve:secretsmanager:${{{provider}SecretName}}}}}}"
      Events:
        Webhook:
          Type: HttpApi
          Properties:
            ApiId: !Ref WebhookApi
            Path: {route}
            Method: POST
            PayloadFormatVersion: "2.0"

  {id}ErrorsAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: !Sub "Rollcall ${{AWS::StackName}}: {binary} failed or was throttled (a crash, a timeout, or the concurrency guard); the provider got an error and retries."
      Metrics:
        - Id: failed
          Label: failed or throttled invocations
          Expression: FILL(errors, 0) + FILL(throttles, 0)
"#
        );
        for (metric_id, metric) in [("errors", "Errors"), ("throttles", "Throttles")] {
            let _ = write!(
                out,
                r#"        - Id: {metric_id}
          ReturnData: false
          MetricStat:
            Metric: {{ Namespace: AWS/Lambda, MetricName: {metric}, Dimensions: [{{ Name: FunctionName, Value: !Ref {id}Function }}] }}
            Period: 300
            Stat: Sum
"#
            );
        }
        let _ = write!(
            out,
            r#"      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]

  {id}RefusedAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: !Sub "Rollcall ${{AWS::StackName}}: POST {route} answered mostly 401 or quarantined for an hour: a wrong or rotated key, or a changed payload. The provider gives up after its retries."
      Metrics:
        - Id: refused
          Label: share of deliveries answered 401 or quarantined
          Expression: (FILL(unauthorized, 0) + FILL(quarantined, 0)) / (FILL(unauthorized, 0) + FILL(quarantined, 0) + FILL(queued, 0))
"#
        );
        for outcome in ["unauthorized", "quarantined", "queued"] {
            let _ = write!(
                out,
                r#"        - Id: {outcome}
          ReturnData: false
          MetricStat:
            Metric: {{ Namespace: !Sub "Rollcall/${{AWS::StackName}}", MetricName: Deliveries, Dimensions: [{{ Name: Kind, Value: {message_type} }}, {{ Name: Outcome, Value: {outcome} }}] }}
            Period: 900
            Stat: Sum
"#
            );
        }
        out.push_str(
            r#"      EvaluationPeriods: 4
      DatapointsToAlarm: 4
      Threshold: 0.5
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]

"#,
        );
        out.push_str(&no_deliveries_alarm(&id, &route));
    }
    out
}

/// The alarm on a route that got no request at all for `NoDeliveryAlarmHours` hours, created only when that
/// parameter is set. It reads the function's `Invocations`: API Gateway runs the function once for every request
/// to its route, whatever the answer (`401`, quarantined, `5xx`, a crash, a timeout), so none in an hour means the
/// provider sent nothing. (The API's own `Count` is per route only with detailed metrics, which the stack leaves
/// off; the log-derived `Deliveries` misses a delivery whose function crashed before its line.) Lambda publishes
/// no data point for an hour without an invocation, so missing data is breaching.
fn no_deliveries_alarm(id: &str, route: &str) -> String {
    format!(
        r#"  {id}NoDeliveriesAlarm:
    Type: AWS::CloudWatch::Alarm
    Condition: HasNoDeliveryAlarm
    Properties:
      AlarmDescription: !Sub "Rollcall ${{AWS::StackName}}: POST {route} got no request for ${{NoDeliveryAlarmHours}} h. Its provider may have stopped sending: a subscription disabled after failing deliveries (Calendly disables one after 24 h of failures) or deleted, a webhook removed or pointed elsewhere. Check the subscription at the provider, then this route's RefusedAlarm and ErrorsAlarm history."
      Namespace: AWS/Lambda
      MetricName: Invocations
      Dimensions:
        - Name: FunctionName
          Value: !Ref {id}Function
      Statistic: Sum
      Period: 3600
      EvaluationPeriods: !Ref NoDeliveryAlarmHours
      DatapointsToAlarm: !Ref NoDeliveryAlarmHours
      Threshold: 1
      ComparisonOperator: LessThanThreshold
      TreatMissingData: breaching
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]

"#
    )
}

/// Every kind's webhook URL and function name, in registry order, each followed by a blank line.
fn outputs() -> String {
    let mut out = String::new();
    for kind in Kind::ALL {
        let (id, route) = (kind.logical_name(), kind.route());
        let (provider, slug) = (kind.provider().slug(), kind.slug());
        let _ = write!(
            out,
            r#"  {id}Url:
    Description: Webhook URL for {provider} {slug} (POST)
    Value: !Sub "https://${{WebhookApi}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}{route}"

  {id}FunctionName:
    Description: Lambda function serving POST {route}
    Value: !Ref {id}Function

"#
        );
    }
    out
}
