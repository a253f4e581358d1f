//! The HTTP floor: a bare axum server (same axum, hyper and tokio as `rollcall serve`, same multi-threaded
//! runtime) that reads each request's body and answers 200 without any work. Listens on the address given as
//! the first argument (default `127.0.0.1:8081`), loopback only by intent.

use axum::body::Bytes;
use std::net::SocketAddr;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".into())
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let app = axum::Router::new().fallback(|_body: Bytes| async {
        ([("content-type", "application/json")], r#"{"status":"ok"}"#)
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("floor serving on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
