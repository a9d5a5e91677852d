//! Administrators' policy files, for the tests of the app and the command line under one.

/// The profile a bank's policy gives every agent (e-mail login); top-level keys go before it.
pub const BANK_PROFILE: &str = r#"
[[profiles]]
name = "bank"
provider = "generic"
title = "Bank · BankID"
issuer = "https://idp.bank.example"
client_id = "desk"
auth_method = "client_secret_basic"
inputs = [{ kind = "email" }]
hint = "login_hint"
"#;

/// Locked profiles and no sandbox: the bank's profile is all an agent gets.
pub fn locked_bank() -> String {
    format!("lock_profiles = true\nallow_sandbox = false\n{BANK_PROFILE}")
}
