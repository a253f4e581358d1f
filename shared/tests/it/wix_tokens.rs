//! Wix tokens as Wix's own SDK expects them (RS256; `iss` `wix.com` and `aud` the app id where caller claims are
//! checked; `iat`; `exp` possibly `null`) are accepted, and the claims that make a token unfit are refused: an
//! issuer other than Wix, an audience other than the configured app, a critical header parameter Rollcall does
//! not understand, a token older than `WIX_MAX_TOKEN_AGE_SECS`.

use crate::common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rollcall::config::Secrets;
use rollcall::provider::{AuthError, Authentic, receive};
use rollcall::{Kind, Provider};
use rollcall_testkit::deliveries::now;
use serde_json::{Value, json};

/// The secrets of the test kit for Wix, with `settings` (`WIX_APP_ID`, `WIX_MAX_TOKEN_AGE_SECS`) added.
fn wix_secrets(settings: &[(&'static str, &'static str)]) -> Secrets {
    let wix = wix_public_key();
    let settings = settings.to_vec();
    Secrets::from_lookup(move |var| match var {
        "WIX_PUBLIC_KEY" => Some(wix.clone()),
        _ => settings
            .iter()
            .find(|(name, _)| *name == var)
            .map(|(_, value)| value.to_string()),
    })
}

/// The claims of the created fixture's delivery, issued now, with `extra` merged in (a `null` removes a claim).
fn claims(extra: Value) -> Value {
    let mut claims = wix_claims(&fixture("wix-participation-created.json"));
    for (name, value) in extra.as_object().unwrap() {
        if value.is_null() && name != "exp" {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

fn sign_with(header: &Header, claims: &Value) -> String {
    let pem = fixture_text("wix-test-key.pem");
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    jsonwebtoken::encode(header, claims, &key).unwrap()
}

/// A header as Wix's tokens carry it: RS256, `typ` JWT, a key id.
fn wix_header() -> Header {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("5f4f2ac3-8b1c-4b6e-a5a4-3f0b6c1d2e7a".into());
    header
}

/// Whether the token is accepted as the created fixture's delivery (through [`receive`], as a delivery is).
fn accepted(secrets: &Secrets, header: &Header, claims: &Value) -> bool {
    let token = sign_with(header, claims);
    let kind = Kind::WixParticipationCreated;
    match receive(kind, secrets, &http::HeaderMap::new(), token.as_bytes()) {
        Ok(Authentic::Readable(_)) => true,
        Ok(Authentic::Unreadable(why)) => panic!("accepted but unreadable: {why}"),
        Err(AuthError::Unauthorized) => false,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn tokens_shaped_as_wixs_sdk_expects_are_accepted() {
    let n = now();
    let sdk_shaped = claims(json!({"iss": "wix.com", "aud": "app-1", "iat": n, "exp": n + 3600}));
    // Through the whole pipeline: queued.
    let (_temp, queue) = temp_queue();
    let pipeline =
        rollcall::Pipeline::new(wix_secrets(&[]), queue, rollcall::config::Limits::default());
    let kind = Kind::WixParticipationCreated;
    let answer = post_with(
        &pipeline,
        kind,
        &headers(Provider::Wix, &[]),
        sign_with(&wix_header(), &sdk_shaped).as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("queued"), "{}", answer.body);

    let any_app = wix_secrets(&[]);
    let this_app = wix_secrets(&[("WIX_APP_ID", " other-app , app-1 ")]);
    for (name, claims) in [
        ("iss and aud", sdk_shaped.clone()),
        (
            "aud as a list",
            claims(json!({"iss": "wix.com", "aud": ["x", "app-1"]})),
        ),
        ("exp null", claims(json!({"exp": null, "aud": "app-1"}))),
        ("no iat", claims(json!({"iat": null, "aud": "app-1"}))),
        (
            "iat within the age",
            claims(json!({"iat": n - 71 * 3600, "aud": "app-1"})),
        ),
        (
            "iat a fraction",
            claims(json!({"iat": n as f64 - 0.5, "aud": "app-1"})),
        ),
    ] {
        assert!(accepted(&any_app, &wix_header(), &claims), "{name}");
        assert!(
            accepted(&this_app, &wix_header(), &claims),
            "{name}, app id set"
        );
    }
}

#[test]
fn unfit_claims_and_headers_are_refused() {
    let n = now();
    let any_app = wix_secrets(&[]);
    let this_app = wix_secrets(&[("WIX_APP_ID", "app-1")]);
    for (name, claims) in [
        ("another issuer", claims(json!({"iss": "evil.example"}))),
        ("an issuer of the wrong type", claims(json!({"iss": 1}))),
        ("expired", claims(json!({"exp": n - 3600}))),
        ("exp not a number", claims(json!({"exp": "soon"}))),
        ("not yet valid", claims(json!({"nbf": n + 3600}))),
        ("older than 72 h", claims(json!({"iat": n - 73 * 3600}))),
        ("from 2001", claims(json!({"iat": 1_000_000_000}))),
        ("issued in the future", claims(json!({"iat": n + 3600}))),
    ] {
        assert!(!accepted(&any_app, &wix_header(), &claims), "{name}");
    }
    for (name, claims) in [
        ("another app", claims(json!({"aud": "app-2"}))),
        (
            "another app among several",
            claims(json!({"aud": ["app-2", "app-3"]})),
        ),
        ("no aud while WIX_APP_ID is set", claims(json!({}))),
    ] {
        assert!(!accepted(&this_app, &wix_header(), &claims), "{name}");
    }
    // A critical header parameter Rollcall does not understand (RFC 7515 §4.1.11) refuses the token.
    let mut critical = wix_header();
    critical.crit = Some(vec!["urn:example:unknown".into()]);
    assert!(!accepted(&any_app, &critical, &claims(json!({}))));
}

#[test]
fn the_token_age_bound_is_configurable() {
    let n = now();
    let week_old = claims(json!({"iat": n - 7 * 86_400}));
    assert!(!accepted(&wix_secrets(&[]), &wix_header(), &week_old));
    let eight_days = wix_secrets(&[("WIX_MAX_TOKEN_AGE_SECS", "691200")]);
    assert!(accepted(&eight_days, &wix_header(), &week_old));
    let off = wix_secrets(&[("WIX_MAX_TOKEN_AGE_SECS", "off")]);
    assert!(accepted(
        &off,
        &wix_header(),
        &claims(json!({"iat": 1_000_000_000}))
    ));
    // A value that is neither seconds nor `off` leaves Wix unconfigured (503 naming the variable).
    for bad in ["0", "-5", "72h", "1.5"] {
        let secrets = Secrets::from_lookup(|var| match var {
            "WIX_PUBLIC_KEY" => Some(wix_public_key()),
            "WIX_MAX_TOKEN_AGE_SECS" => Some(bad.into()),
            _ => None,
        });
        match secrets.wix() {
            Err(missing) => {
                assert_eq!(missing.var, "WIX_MAX_TOKEN_AGE_SECS", "{bad}")
            }
            _ => panic!("{bad} accepted"),
        }
    }
}
