//! The reference for cold start and memory: a minimal `lambda_runtime` hello-world, built with the same profile
//! as the functions (same runtime flavor as they use: tokio's current-thread scheduler).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<_, Error>(json!({"statusCode": 200, "body": "hello"}))
    }))
    .await
}
