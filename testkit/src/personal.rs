//! Deliveries with personal data in every field: each kind's fixture with one value (any member or element, at
//! any depth) replaced by an e-mail address, by a phone number sent as a number, or by a boolean. Whatever
//! Rollcall answers (queued, or quarantined with a reason), none of it may reach a log line.

use crate::deliveries::{WixSigner, kind_fixture, wix_claims};
use rollcall::{Kind, Provider};
use serde_json::{Value, json};

/// The e-mail address put in as a string.
pub const EMAIL: &str = "jane.marker@example.com";
/// The phone number put in as a number.
pub const PHONE: u64 = 4_915_550_123_987;

/// What replaces the value at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    /// [`EMAIL`], a JSON string.
    Email,
    /// [`PHONE`], a JSON number.
    Phone,
    /// `true`, a JSON boolean.
    Boolean,
}

impl Personal {
    /// Every JSON type of personal data.
    pub const ALL: [Personal; 3] = [Personal::Email, Personal::Phone, Personal::Boolean];

    fn value(self) -> Value {
        match self {
            Personal::Email => json!(EMAIL),
            Personal::Phone => json!(PHONE),
            Personal::Boolean => json!(true),
        }
    }

    /// The text that must not appear in a log line (a boolean has none to search for: its reason must not
    /// say `true`).
    pub fn text(self) -> String {
        match self {
            Personal::Email => EMAIL.to_owned(),
            Personal::Phone => PHONE.to_string(),
            Personal::Boolean => "true".to_owned(),
        }
    }
}

/// One delivery: `kind`'s fixture with the value at `path` replaced by `personal`.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The kind (and route).
    pub kind: Kind,
    /// Where the personal data is, e.g. `/data/participant/id` (a JSON pointer into the decoded delivery).
    pub path: String,
    /// What it is.
    pub personal: Personal,
    /// The body to send (a signed token for Wix).
    pub body: Vec<u8>,
}

impl Variant {
    /// Whether the value at `path` becomes the message id (Mighty Networks `event_id`, the Wix event `id`): the
    /// message id is logged with each queued delivery, as the provider's identifier of the delivery.
    pub fn is_message_id(&self) -> bool {
        matches!(
            (self.kind.provider(), self.path.as_str()),
            (Provider::MightyNetworks, "/event_id") | (Provider::Wix, "/data/id")
        )
    }
}

/// Every path of `value` (JSON pointers), containers and leaves, the root excluded.
pub(crate) fn paths(value: &Value, at: String, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                (
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    v,
                )
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{at}/{i}"), v))
            .collect(),
        _ => Vec::new(),
    };
    for (path, child) in children {
        out.push(path.clone());
        paths(child, path, out);
    }
}

/// The variants of `kind`: every path with each JSON type of personal data, or, with `rotate`, with one type per
/// path in turn (for slower harnesses).
pub fn variants(kind: Kind, rotate: bool, signer: &WixSigner) -> Vec<Variant> {
    let fixture = kind_fixture(kind);
    let mut all = Vec::new();
    paths(&fixture, String::new(), &mut all);
    let mut out = Vec::new();
    for (n, path) in all.into_iter().enumerate() {
        let types: Vec<Personal> = if rotate {
            vec![Personal::ALL[n % Personal::ALL.len()]]
        } else {
            Personal::ALL.to_vec()
        };
        for personal in types {
            let mut value = fixture.clone();
            *value.pointer_mut(&path).expect("a path of the fixture") = personal.value();
            let body = match kind.provider() {
                Provider::Wix => signer.sign(&wix_claims(&value)).into_bytes(),
                _ => serde_json::to_vec(&value).expect("JSON"),
            };
            out.push(Variant {
                kind,
                path: path.clone(),
                personal,
                body,
            });
        }
    }
    out
}
