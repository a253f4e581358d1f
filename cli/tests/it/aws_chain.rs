//! The commands that reach SQS take region and credentials from the standard AWS chain, as every AWS tool does:
//! a named profile of the shared config and credentials files is enough, with no AWS variable but the endpoint.

use crate::common::{ROLLCALL, SECRET_VARS, endpoint};
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use std::process::Command;

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_stats_reaches_sqs_with_a_named_profile() {
    let endpoint = endpoint();
    // A region no default would pick: the queue exists only there.
    let region = "eu-west-3";
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(&endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    let queue = aws_sdk_sqs::Client::from_conf(config)
        .create_queue()
        .queue_name("rollcall-profile-test")
        .send()
        .await
        .expect("queue created")
        .queue_url
        .expect("queue URL");

    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("config");
    let credentials_file = dir.path().join("credentials");
    std::fs::write(
        &config_file,
        format!("[profile rollcall-test]\nregion = {region}\n"),
    )
    .unwrap();
    std::fs::write(
        &credentials_file,
        "[rollcall-test]\naws_access_key_id = test\naws_secret_access_key = test\n",
    )
    .unwrap();

    let mut command = Command::new(ROLLCALL);
    command
        .args(["queue", "stats", "--queue", &queue])
        .current_dir(dir.path());
    for (var, _) in std::env::vars() {
        if var.starts_with("AWS_") || SECRET_VARS.contains(&var.as_str()) {
            command.env_remove(&var);
        }
    }
    command
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_CONFIG_FILE", &config_file)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials_file)
        .env("AWS_PROFILE", "rollcall-test")
        // No instance metadata service on this machine: do not wait for one.
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let output = command.output().expect("rollcall runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(r#""messages":0"#), "{stdout}");
}
