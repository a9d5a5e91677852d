//! The page's TypeScript types (`ui/src/api/bindings.ts`) are generated from the application
//! layer's Rust types. This test fails when the committed file is stale; regenerate it with
//! `UPDATE_BINDINGS=1 cargo test -p desk --test bindings`.

use std::path::PathBuf;

use desk::api::{
    AuditStatus, BindingMessageCheck, BindingMessageSummary, HistoryEntry, HistoryOutcome,
    HistoryPage, HistoryQuery, IdentityCheck, IdentityKind, IdentityView, Language, MatchWord,
    OrganisationState, OrganisationView, PolicyView, Preferences, PresetNeed, PresetSummary,
    ProfileEdit, ProfileSummary, Requirement, SecretStatus, Theme, VerificationRequest,
    VerificationUpdate,
};
use desk::settings::{FieldChange, ProfileChange};
use desk::verified::{MatchBasis, NotComparableReason};
use desk::{
    CallInitiator, ErrorField, ErrorReport, IdentityMatch, ImportMode, ImportReport, Param,
    ProviderKind, SecretPart,
};
use identity::{Country, IdKind};
use ts_rs::{Config, TS};

fn generated() -> String {
    let cfg = Config::new().with_large_int("number");
    let decls = [
        Param::decl(&cfg),
        ErrorField::decl(&cfg),
        ErrorReport::decl(&cfg),
        Country::decl(&cfg),
        IdKind::decl(&cfg),
        ProviderKind::decl(&cfg),
        CallInitiator::decl(&cfg),
        SecretStatus::decl(&cfg),
        SecretPart::decl(&cfg),
        Requirement::decl(&cfg),
        BindingMessageSummary::decl(&cfg),
        IdentityKind::decl(&cfg),
        ProfileSummary::decl(&cfg),
        PresetNeed::decl(&cfg),
        PresetSummary::decl(&cfg),
        IdentityCheck::decl(&cfg),
        BindingMessageCheck::decl(&cfg),
        VerificationRequest::decl(&cfg),
        IdentityView::decl(&cfg),
        MatchBasis::decl(&cfg),
        NotComparableReason::decl(&cfg),
        IdentityMatch::decl(&cfg),
        MatchWord::decl(&cfg),
        VerificationUpdate::decl(&cfg),
        HistoryOutcome::decl(&cfg),
        HistoryEntry::decl(&cfg),
        HistoryQuery::decl(&cfg),
        HistoryPage::decl(&cfg),
        ProfileEdit::decl(&cfg),
        AuditStatus::decl(&cfg),
        Language::decl(&cfg),
        Theme::decl(&cfg),
        Preferences::decl(&cfg),
        PolicyView::decl(&cfg),
        OrganisationState::decl(&cfg),
        OrganisationView::decl(&cfg),
        ImportMode::decl(&cfg),
        FieldChange::decl(&cfg),
        ProfileChange::decl(&cfg),
        ImportReport::decl(&cfg),
        desk::screen_pop::LinkProblem::decl(&cfg),
        desk::screen_pop::LinkPrefill::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types of the desk's application layer (crates/desk/src/api/views.rs\n\
         // and the types they use) by crates/desk/tests/bindings.rs. Do not edit: change the Rust\n\
         // types and run `UPDATE_BINDINGS=1 cargo test -p desk --test bindings`.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(d.trim());
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn the_pages_types_are_generated_from_rust() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/api/bindings.ts");
    let fresh = generated();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).expect("write ui/src/api/bindings.ts");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/api/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p desk --test bindings` and commit the result"
    );
}
