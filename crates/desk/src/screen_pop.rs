//! Screen-pop links from a phone system or a CRM: `ciba-desk://verify?profile=…&national_id=…`
//! fills in a new verification for the agent to check and start. A link never starts one by
//! itself, so no link can make a customer's phone buzz; what a link says that cannot be used
//! is shown to the agent, not dropped.

use serde::Serialize;
use ts_rs::TS;
use url::Url;

use crate::input::check_reference;

/// The scheme the desktop registers.
pub const SCHEME: &str = "ciba-desk";

/// The parameters that name the customer; a link may use one.
const IDENTITY_PARAMS: [&str; 3] = ["national_id", "email", "user_id"];

/// Longer links are not read at all: no phone system needs more.
const MAX_LINK: usize = 4096;
/// The most a prefilled field takes; the form checks it properly once the agent starts.
const MAX_FIELD: usize = 256;

/// What a link fills in, and what it said that could not be used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct LinkPrefill {
    pub profile: Option<String>,
    /// The customer as typed into the form: a national ID with its country (`se:…`), an
    /// e-mail address or a user id.
    pub identity: Option<String>,
    pub binding_message: Option<String>,
    /// The CRM's case number.
    pub reference: Option<String>,
    /// Each part of the link that was left out: which parameter, and a code for why.
    pub problems: Vec<LinkProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LinkProblem {
    /// The parameter, or empty for the link as a whole.
    pub param: String,
    /// `unknown`, `repeated`, `too_long`, `invalid`, `conflict` or `not_a_link`.
    pub code: String,
}

impl LinkProblem {
    fn new(param: &str, code: &str) -> Self {
        Self {
            param: param.into(),
            code: code.into(),
        }
    }
}

/// Whether `arg` (a command-line argument) is a screen-pop link.
pub fn is_link(arg: &str) -> bool {
    arg.get(..SCHEME.len() + 1)
        .is_some_and(|s| s.eq_ignore_ascii_case(&format!("{SCHEME}:")))
}

/// Reads a link. Anything it cannot use is in `problems`; nothing here is checked against
/// the profiles, which the form does when the agent starts.
pub fn parse_link(link: &str) -> LinkPrefill {
    let mut out = LinkPrefill::default();
    let whole = |code: &str| LinkPrefill {
        problems: vec![LinkProblem::new("", code)],
        ..LinkPrefill::default()
    };
    if link.len() > MAX_LINK {
        return whole("too_long");
    }
    let Ok(url) = Url::parse(link) else {
        return whole("not_a_link");
    };
    let action = url
        .host_str()
        .unwrap_or_else(|| url.path().trim_matches('/'));
    if !url.scheme().eq_ignore_ascii_case(SCHEME) || action != "verify" {
        return whole("not_a_link");
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut identity_param: Option<String> = None;
    for (name, value) in url.query_pairs() {
        let (name, value) = (name.into_owned(), value.trim().to_owned());
        if !seen.insert(name.clone()) {
            if IDENTITY_PARAMS.contains(&name.as_str()) {
                // Two customers, even under one name: neither is filled in.
                out.problems.push(LinkProblem::new(&name, "conflict"));
                out.identity = None;
            } else {
                out.problems.push(LinkProblem::new(&name, "repeated"));
            }
            continue;
        }
        if value.chars().count() > MAX_FIELD {
            out.problems.push(LinkProblem::new(&name, "too_long"));
            continue;
        }
        if value.chars().any(char::is_control) {
            out.problems.push(LinkProblem::new(&name, "invalid"));
            continue;
        }
        let value = Some(value).filter(|v| !v.is_empty());
        match name.as_str() {
            "profile" => out.profile = value,
            "binding_message" => out.binding_message = value,
            "reference" => match check_reference(value.as_deref()) {
                Ok(r) => out.reference = r,
                Err(_) => out.problems.push(LinkProblem::new(&name, "invalid")),
            },
            "national_id" | "email" | "user_id" => {
                if let Some(first) = &identity_param {
                    out.problems.push(LinkProblem::new(&name, "conflict"));
                    // Neither is used: the agent must say which customer it is.
                    if out.identity.take().is_some() {
                        out.problems.push(LinkProblem::new(first, "conflict"));
                    }
                    continue;
                }
                identity_param = Some(name.clone());
                out.identity = value;
            }
            _ => out.problems.push(LinkProblem::new(&name, "unknown")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_systems_link_fills_the_form() {
        let p = parse_link(
            "ciba-desk://verify?profile=bank&national_id=se:19121212-1212&reference=CASE-4711&binding_message=Desk%207",
        );
        assert_eq!(p.profile.as_deref(), Some("bank"));
        assert_eq!(p.identity.as_deref(), Some("se:19121212-1212"));
        assert_eq!(p.reference.as_deref(), Some("CASE-4711"));
        assert_eq!(p.binding_message.as_deref(), Some("Desk 7"));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let p = parse_link("CIBA-DESK:verify?email=anna@example.com");
        assert_eq!(p.identity.as_deref(), Some("anna@example.com"));
    }

    #[test]
    fn what_a_link_cannot_say_is_named_not_dropped() {
        let p = parse_link(
            "ciba-desk://verify?profile=bank&start=1&profile=other&national_id=se:1&email=a@b.c&reference=a%0Ab",
        );
        assert_eq!(p.profile.as_deref(), Some("bank"));
        assert_eq!(p.identity, None, "two customers: neither");
        let got: Vec<(&str, &str)> = p
            .problems
            .iter()
            .map(|x| (x.param.as_str(), x.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("start", "unknown"),
                ("profile", "repeated"),
                ("email", "conflict"),
                ("national_id", "conflict"),
                ("reference", "invalid"),
            ]
        );
        for bad in [
            "https://evil.example/verify?profile=bank",
            "ciba-desk://delete?profile=bank",
            "not a link",
        ] {
            assert_eq!(
                parse_link(bad).problems,
                [LinkProblem::new("", "not_a_link")]
            );
        }
        let long = format!("ciba-desk://verify?reference={}", "x".repeat(300));
        assert_eq!(parse_link(&long).problems[0].code, "too_long");
        assert!(is_link("ciba-desk://verify") && !is_link("--profile"));
        // The same parameter twice is two customers too.
        let p = parse_link("ciba-desk://verify?national_id=se:1&national_id=se:2");
        assert_eq!(p.identity, None);
        assert_eq!(p.problems, [LinkProblem::new("national_id", "conflict")]);
    }
}
