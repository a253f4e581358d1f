//! `rollcall` re-exports the contract crate at the paths its types had before they moved there, so code that built
//! against `rollcall` still builds: each path below names the contract's own type (the same type, not a copy).

use rollcall_contract as contract;

/// Compiles only when `A` and `B` are one type.
fn same<A>(_: fn(A) -> A) {}

#[test]
fn the_contract_is_re_exported_at_its_former_paths() {
    use rollcall::provider::{lenient, mighty_networks, omerlo, wix};
    same::<rollcall::Message>(|m: contract::Message| m);
    same::<rollcall::Payload>(|p: contract::Payload| p);
    same::<rollcall::Kind>(|k: contract::Kind| k);
    same::<rollcall::Provider>(|p: contract::Provider| p);
    same::<rollcall::kind::Entity>(|e: contract::kind::Entity| e);
    same::<rollcall::kind::Action>(|a: contract::kind::Action| a);
    same::<rollcall::message::Received>(|r: contract::message::Received| r);
    same::<rollcall::message::UnknownMessage>(|u: contract::message::UnknownMessage| u);
    same::<rollcall::message::MessageData>(|d: contract::message::MessageData| d);
    same::<rollcall::message::EventView>(|v: contract::message::EventView| v);
    same::<rollcall::message::EventStatus>(|s: contract::message::EventStatus| s);
    same::<rollcall::message::PersonView>(|v: contract::message::PersonView| v);
    same::<rollcall::message::ParticipationView>(|v: contract::message::ParticipationView| v);
    same::<rollcall::message::Status>(|s: contract::message::Status| s);
    same::<rollcall::message::Change>(|c: contract::message::Change| c);
    same::<rollcall::message::UtcTime>(|t: contract::message::UtcTime| t);
    same::<rollcall::message::SpecVersion>(|v: contract::message::SpecVersion| v);
    same::<rollcall::message::ContentType>(|c: contract::message::ContentType| c);
    same::<rollcall::payload::Payload>(|p: contract::payload::Payload| p);
    same::<rollcall::sqs_text::Body>(|b: contract::sqs_text::Body| b);
    same::<rollcall::sqs_text::Refusal>(|r: contract::sqs_text::Refusal| r);
    same::<lenient::Id>(|i: contract::provider::lenient::Id| i);
    same::<omerlo::Delivery<omerlo::ParticipantData>>(
        |d: contract::provider::omerlo::Delivery<contract::provider::omerlo::ParticipantData>| d,
    );
    same::<omerlo::InvitationData>(|d: contract::provider::omerlo::InvitationData| d);
    same::<mighty_networks::Delivery<mighty_networks::Rsvp>>(
        |d: contract::provider::mighty_networks::Delivery<
            contract::provider::mighty_networks::Rsvp,
        >| d,
    );
    same::<mighty_networks::Event>(|e: contract::provider::mighty_networks::Event| e);
    same::<wix::Identity>(|i: contract::provider::wix::Identity| i);
    same::<wix::AccountInfo>(|a: contract::provider::wix::AccountInfo| a);
    same::<wix::calendar::ParticipationDelivery>(
        |d: contract::provider::wix::calendar::ParticipationDelivery| d,
    );
    same::<wix::calendar::Participant>(|p: contract::provider::wix::calendar::Participant| p);
    same::<wix::events::GuestDelivery>(|d: contract::provider::wix::events::GuestDelivery| d);
    same::<wix::events::EventDelivery>(|d: contract::provider::wix::events::EventDelivery| d);
    same::<wix::events::Address>(|a: contract::provider::wix::events::Address| a);
    assert_eq!(rollcall::message::DATASCHEMA, contract::message::DATASCHEMA);
    assert_eq!(
        rollcall::message::json_schema(),
        contract::message::json_schema()
    );
    assert_eq!(
        rollcall::message::ADDED_IN_V1,
        contract::message::ADDED_IN_V1
    );
    assert_eq!(
        rollcall::sqs_text::MAX_BODY_BYTES,
        contract::sqs_text::MAX_BODY_BYTES
    );
    assert_eq!(
        wix::MAX_TOKEN_PADDING,
        4,
        "Rollcall's own, beside the contract's types"
    );
}
