//! The alternative to dynamic references that issue 4 asks to measure: the Omerlo `participant-created`
//! function, but fetching its own secret from AWS Secrets Manager at cold start (`GetSecretValue` on the ARN in
//! `OMERLO_API_KEY_SECRET_ARN`) instead of reading it from its environment. `measure secrets` compares its init
//! time and package size with the shipped function's; the shipped functions do not do this (docs/deploying.md).

use std::time::Duration;

fn main() -> Result<(), rollcall::lambda::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if let Ok(arn) = std::env::var("OMERLO_API_KEY_SECRET_ARN") {
        let value = runtime.block_on(fetch(arn))?;
        // SAFETY: no other thread exists yet that could read the environment: the current-thread runtime runs
        // on this one, and the fetch used no blocking pool (an IP endpoint needs no DNS).
        unsafe { std::env::set_var("OMERLO_API_KEY", value) };
    }
    runtime.block_on(rollcall::lambda::run(
        rollcall::Kind::OmerloParticipantCreated,
    ))
}

async fn fetch(arn: String) -> Result<String, rollcall::lambda::Error> {
    let config = rollcall::aws::sdk_config_from_env(Duration::from_secs(2));
    let secret = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await?;
    Ok(secret
        .secret_string()
        .ok_or("the secret has no string value")?
        .to_owned())
}
