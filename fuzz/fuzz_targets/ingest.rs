//! Fuzzes `Pipeline::ingest` as the property test `shared/tests/it/extreme.rs` does, with libFuzzer choosing
//! the kind and the edits (`rollcall_testkit::extreme`): where (mostly the paths the parser reads), and what (an
//! extreme value of the catalogue, a time, a number, any string, or a removal). Each delivery is authentic (Wix
//! signed after the edits), so it must be queued or quarantined, and each message's `time` and
//! `data.changed_at` must be RFC 3339 in UTC with a year from 0001. A panic is a crash libFuzzer keeps.

#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use rollcall::config::Limits;
use rollcall::message::Message;
use rollcall::{Accepted, Kind, Pipeline};
use rollcall_testkit::deliveries::{WixSigner, header_map, secrets};
use rollcall_testkit::extreme::{Edit, Extreme, Fixture, Time, catalogue};
use rollcall_testkit::memory::MemoryQueue;
use std::sync::OnceLock;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What every run shares: each kind's probed fixture, the catalogue, the signer.
struct Setup {
    fixtures: Vec<Fixture>,
    catalogue: Vec<Extreme>,
    signer: WixSigner,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let signer = WixSigner::new();
        Setup {
            fixtures: Kind::ALL
                .into_iter()
                .map(|k| Fixture::new(k, &signer))
                .collect(),
            catalogue: catalogue(),
            signer,
        }
    })
}

fn value(u: &mut Unstructured, setup: &Setup) -> Result<Extreme> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 | 1 => u.choose(&setup.catalogue)?.clone(),
        2 => {
            let time = Time {
                year: u.int_in_range(0..=9999)?,
                month: u.int_in_range(1..=12)?,
                day: u.int_in_range(1..=31)?,
                hour: u.int_in_range(0..=23)?,
                minute: u.int_in_range(0..=59)?,
                second: u.int_in_range(0..=60)?,
                fraction: if u.arbitrary()? {
                    let width = u.int_in_range(1..=18usize)?;
                    Some((u.int_in_range(0..=10u64.pow(width as u32) - 1)?, width))
                } else {
                    None
                },
                offset: if u.arbitrary()? {
                    Some(u.int_in_range(-1439..=1439)?)
                } else {
                    None
                },
            };
            Extreme::Json(time.text().into())
        }
        3 => Extreme::Text(match u.int_in_range(0..=2u8)? {
            0 => u.arbitrary::<i64>()?.to_string(),
            1 => (u128::from(u.arbitrary::<u64>()?) + u128::from(u64::MAX)).to_string(),
            _ => {
                let f: f64 = u.arbitrary()?;
                if f.is_finite() {
                    format!("{f:e}")
                } else {
                    "1e309".to_owned()
                }
            }
        }),
        _ => Extreme::Json(u.arbitrary::<String>()?.into()),
    })
}

fn edits(u: &mut Unstructured, fixture: &Fixture, setup: &Setup) -> Result<Vec<Edit>> {
    let mut edits = Vec::new();
    for _ in 0..u.int_in_range(1..=3u8)? {
        let paths = if u.ratio(3, 4)? && !fixture.read_paths().is_empty() {
            fixture.read_paths()
        } else {
            fixture.paths()
        };
        let path = u.choose(paths)?.clone();
        edits.push(if u.ratio(1, 10)? {
            Edit::Remove { path }
        } else {
            Edit::Put {
                path,
                value: value(u, setup)?,
            }
        });
    }
    Ok(edits)
}

/// RFC 3339 in UTC, year 0001 to 9999.
fn is_utc_time(text: &str) -> bool {
    text.ends_with('Z')
        && OffsetDateTime::parse(text, &Rfc3339).is_ok_and(|t| (1..=9999).contains(&t.year()))
}

fuzz_target!(|data: &[u8]| {
    let setup = setup();
    let mut u = Unstructured::new(data);
    let Ok(fixture) = u.choose(&setup.fixtures) else {
        return;
    };
    let Ok(edits) = edits(&mut u, fixture, setup) else {
        return;
    };
    let kind = fixture.kind();
    let body = fixture.body(&edits, &setup.signer);
    let pipeline = Pipeline::new(secrets(), MemoryQueue::new(), Limits::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let answer = runtime.block_on(pipeline.ingest(kind, &header_map(kind.provider()), &body));
    assert!(
        matches!(
            answer,
            Ok(Accepted::Queued { .. } | Accepted::Quarantined { .. })
        ),
        "{kind} {edits:?}: {answer:?}"
    );
    for body in pipeline.queue().messages() {
        let message = Message::from_body(&body).expect("a message reads back");
        assert!(
            is_utc_time(&message.time),
            "{kind} {edits:?}: time {}",
            message.time
        );
        if let Some(changed_at) = &message.data.changed_at {
            assert!(
                is_utc_time(changed_at),
                "{kind} {edits:?}: changed_at {changed_at}"
            );
        }
    }
});
