//! The HTTP/1 client `send` and `smoke` use to deliver webhooks: `http://` (a local server) or `https://` (a
//! deployed stack, verified against the system's root certificates).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// An HTTP(S) client.
pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A new client; fails only when the system has no usable root certificates.
pub fn new() -> Result<HttpClient, String> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("cannot load the system's root certificates: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// Checks that `url` is an `http://` or `https://` URL.
pub fn check_url(url: &str) -> Result<&str, String> {
    let url = url.trim_end_matches('/');
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(format!("`{url}` is not an http:// or https:// URL"))
    }
}

/// Sends one request; the answer's status and body, or a one-line reason.
pub async fn exchange<'a>(
    client: &HttpClient,
    method: &str,
    uri: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: Vec<u8>,
) -> Result<(u16, String), String> {
    let mut request = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("bad request: {e}"))?;
    let response = client
        .request(request)
        .await
        .map_err(|e| format!("cannot reach {uri}: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
