//! The per-kind blocks of `template.yaml`, written from the registry of kinds: each kind's function, the alarm
//! on its failures and throttles, the alarm on its answers (mostly 401 or quarantined), and its two outputs.
//! They stay literal in the template (what `sam`, cfn-lint and a reviewer read), between marker lines;
//! `cargo xtask regenerate` rewrites them, and a test checks that the committed template
//! is what [`render`] makes. The rest of the template is written by hand.

use rollcall::Kind;
use std::fmt::Write;

/// The lines that open and close each generated region: the resources, then the outputs.
const REGIONS: [(&str, &str); 2] = [
    (
        "  # BEGIN per-kind resources: written from the registry by `regenerate` (CONTRIBUTING.md); do not edit",
        "  # END per-kind resources",
    ),
    (
        "  # BEGIN per-kind outputs: written from the registry by `regenerate` (CONTRIBUTING.md); do not edit",
        "  # END per-kind outputs",
    ),
];

/// `template` with its generated regions written anew from the registry; an error names a missing marker.
pub fn render(template: &str) -> Result<String, String> {
    let mut out = template.to_owned();
    for ((begin, end), body) in REGIONS.into_iter().zip([resources(), outputs()]) {
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

/// Every kind's function and alarms, in registry order, each followed by a blank line.
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
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: {binary}
    Properties:
      Description: Rollcall webhook POST {route}
      Policies:
        - Statement:
            - Sid: SendToRollcallQueues
              Effect: Allow
              Action: sqs:SendMessage
              Resource:
                - !GetAtt MessagesQueue.Arn
                - !GetAtt QuarantineQueue.Arn
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
    }
    out
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
