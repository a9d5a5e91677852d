//! Identifiers that are not national identity numbers: e-mail addresses, UUIDs (MitID,
//! MobileID) and user names. Pure checks; the caller decides what a failure means.

/// The address as typed (trimmed) when it has the shape of an e-mail address: one `@`, a
/// non-empty local part, a dotted domain, no spaces or control characters, at most 254 bytes.
pub fn parse_email(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let ok = raw.len() <= 254
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(raw.rsplit_once('@'), Some((local, domain))
            if !local.is_empty()
                && !local.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.'));
    ok.then(|| raw.to_owned())
}

/// A UUID in its canonical 8-4-4-4-12 form, lowercased.
pub fn parse_uuid(raw: &str) -> Option<String> {
    let s = raw.trim();
    let groups: Vec<&str> = s.split('-').collect();
    let ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    ok.then(|| s.to_ascii_lowercase())
}

/// Why a user name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserNameProblem {
    Spaces,
    TooLong,
}

impl UserNameProblem {
    /// A stable code for translations.
    pub fn code(self) -> &'static str {
        match self {
            UserNameProblem::Spaces => "spaces",
            UserNameProblem::TooLong => "too_long",
        }
    }

    /// Completes "the user name …".
    pub fn sentence(self) -> &'static str {
        match self {
            UserNameProblem::Spaces => "contains spaces or control characters",
            UserNameProblem::TooLong => "is longer than 256 characters",
        }
    }
}

/// The longest user name accepted, in bytes.
pub const MAX_USER_NAME: usize = 256;

/// A user name at a provider: no spaces or control characters, at most 256 bytes.
pub fn check_user_name(raw: &str) -> Result<(), UserNameProblem> {
    if raw.len() > MAX_USER_NAME {
        Err(UserNameProblem::TooLong)
    } else if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(UserNameProblem::Spaces)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked() {
        for bad in ["a@b", "@b.se", "a b@c.se", "a@.se", "a@b.se.", "a@b@c.se"] {
            assert!(parse_email(bad).is_none(), "{bad}");
        }
        assert_eq!(
            parse_email(" first.last+tag@shop.example.com ").as_deref(),
            Some("first.last+tag@shop.example.com")
        );
    }

    #[test]
    fn uuids_are_canonical() {
        assert_eq!(
            parse_uuid(" 0E99B25C-ABDE-4553-973B-8D94D49CD87E").as_deref(),
            Some("0e99b25c-abde-4553-973b-8d94d49cd87e")
        );
        for bad in [
            "0e99b25c-abde-4553-973b",
            "0e99b25cabde4553973b8d94d49cd87e",
            "zz99b25c-abde-4553-973b-8d94d49cd87e",
        ] {
            assert!(parse_uuid(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn user_names_have_no_spaces_and_a_length_limit() {
        assert_eq!(check_user_name("anna.l"), Ok(()));
        assert_eq!(check_user_name("anna l"), Err(UserNameProblem::Spaces));
        // A long name with spaces is reported as too long: that is what to fix first.
        let long = "a b".repeat(100);
        assert_eq!(check_user_name(&long), Err(UserNameProblem::TooLong));
    }
}
