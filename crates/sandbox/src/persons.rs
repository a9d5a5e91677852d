//! The sandbox's fictional test persons, and how a login hint finds one.
//!
//! The numbers are valid by their country's check-digit rules (the tests prove it with the
//! `identity` crate) but belong to no one the sandbox knows of; 19121212-1212 "Tolvan
//! Tolvansson" is the Swedish test number everybody uses.

use identity::{Country, NationalId};
use serde::Serialize;

/// Who approves instead of `asked` in the mismatch drill: another person found the same way
/// (by a number of the same country, or by e-mail), so the agent sees a plausible answer for
/// the wrong person.
pub fn stand_in_for(asked: &Person) -> &'static Person {
    let alike = |p: &&Person| {
        p.sub != asked.sub
            && p.ssn.is_some() == asked.ssn.is_some()
            && (p.ssn.is_none() || p.country == asked.country)
    };
    PERSONS
        .iter()
        .find(alike)
        .or_else(|| PERSONS.iter().find(|p| p.sub != asked.sub))
        .expect("the sandbox has more than one person")
}

/// A test person the sandbox can "authenticate".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Person {
    /// The stable subject identifier in ID tokens.
    pub sub: &'static str,
    pub name: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    /// `YYYY-MM-DD`.
    pub birthdate: &'static str,
    pub country: Country,
    /// How an agent would type the login hint.
    pub login_hint: &'static str,
    /// The normalised national ID (SE 12, NO 11, DK 10 digits), the `ssn` claim.
    pub ssn: Option<&'static str>,
    /// For pickup-style users found by e-mail address, the `email` claim.
    pub email: Option<&'static str>,
}

const PERSONS: &[Person] = &[
    Person {
        sub: "sandbox-1",
        name: "Tolvan Tolvansson",
        given_name: "Tolvan",
        family_name: "Tolvansson",
        birthdate: "1912-12-12",
        country: Country::Se,
        login_hint: "19121212-1212",
        ssn: Some("191212121212"),
        email: None,
    },
    Person {
        sub: "sandbox-2",
        name: "Sara Svensson",
        given_name: "Sara",
        family_name: "Svensson",
        birthdate: "1985-07-23",
        country: Country::Se,
        login_hint: "19850723-2380",
        ssn: Some("198507232380"),
        email: None,
    },
    Person {
        sub: "sandbox-3",
        name: "Ola Nordmann",
        given_name: "Ola",
        family_name: "Nordmann",
        birthdate: "1978-03-15",
        country: Country::No,
        login_hint: "150378 12045",
        ssn: Some("15037812045"),
        email: None,
    },
    Person {
        sub: "sandbox-4",
        name: "Mette Hansen",
        given_name: "Mette",
        family_name: "Hansen",
        birthdate: "1984-06-05",
        country: Country::Dk,
        login_hint: "050684-1232",
        ssn: Some("0506841232"),
        email: None,
    },
    Person {
        sub: "sandbox-5",
        name: "Anna Andersson",
        given_name: "Anna",
        family_name: "Andersson",
        birthdate: "1990-04-15",
        country: Country::Se,
        login_hint: "anna@example.com",
        ssn: None,
        email: Some("anna@example.com"),
    },
    Person {
        sub: "sandbox-6",
        name: "Erik Eriksson",
        given_name: "Erik",
        family_name: "Eriksson",
        birthdate: "1982-11-03",
        country: Country::Se,
        login_hint: "erik@example.com",
        ssn: None,
        email: Some("erik@example.com"),
    },
];

/// Every test person, for training screens and `ciba-desk sandbox` to list.
pub fn persons() -> &'static [Person] {
    PERSONS
}

impl Person {
    /// The login hint as it may be shown on screens and in logs: a masked national ID
    /// (`19121212-XXXX`) or a masked e-mail address.
    pub fn masked_hint(&self) -> String {
        match (self.ssn, self.email) {
            (Some(ssn), _) => NationalId::parse(self.country, ssn)
                .map(|id| id.masked())
                .unwrap_or_else(|_| identity::mask_generic(ssn, 0)),
            (None, Some(email)) => identity::mask_email(email),
            (None, None) => String::new(),
        }
    }
}

/// The person a `login_hint` names, if any.
///
/// Accepts what a person types: a national ID in any layout the `identity` crate accepts for
/// Sweden, Norway or Denmark (`19121212-1212`, `191212121212`, `121212-1212`,
/// `150378 12045`, …), the same with Idura's `sub:ssn:` prefix, or an e-mail address (any
/// case). A 10-digit Swedish number is matched on its ten digits: the sandbox does not insist
/// on the `+` that Skatteverket writes for people aged 100 or more, so `121212-1212` finds
/// Tolvan (born 1912) although by the letter of the rule it means someone born in 2012.
/// A hint that could name more than one person names none.
pub fn find_person(login_hint: &str) -> Option<&'static Person> {
    let hint = login_hint.trim();
    let hint = strip_prefix_ignore_case(hint, "sub:ssn:")
        .unwrap_or(hint)
        .trim();
    if hint.contains('@') {
        return PERSONS
            .iter()
            .find(|p| p.email.is_some_and(|e| e.eq_ignore_ascii_case(hint)));
    }
    let digits = hint.chars().filter(char::is_ascii_digit).count();
    let mut found: Option<&'static Person> = None;
    for country in Country::ALL {
        let Ok(id) = NationalId::parse(country, hint) else {
            continue;
        };
        let number = id.expose();
        for person in PERSONS.iter().filter(|p| p.country == country) {
            let Some(ssn) = person.ssn else { continue };
            let same = ssn == number
                || (country == Country::Se && digits == 10 && ssn[2..] == number[2..]);
            if same {
                match found {
                    Some(other) if other.sub != person.sub => return None,
                    _ => found = Some(person),
                }
            }
        }
    }
    found
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_national_id_is_valid_and_normalised() {
        for p in persons().iter().filter(|p| p.ssn.is_some()) {
            let id = NationalId::parse(p.country, p.login_hint)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert_eq!(Some(id.expose()), p.ssn, "{}", p.name);
            assert_eq!(id.birth_date().to_string(), p.birthdate, "{}", p.name);
            assert!(id.warnings().is_empty(), "{}: {:?}", p.name, id.warnings());
            let expected_len = match p.country {
                Country::Se => 12,
                Country::No => 11,
                Country::Dk => 10,
            };
            assert_eq!(p.ssn.unwrap().len(), expected_len);
        }
    }

    #[test]
    fn tolvan_is_the_well_known_swedish_test_number() {
        let p = find_person("19121212-1212").unwrap();
        assert_eq!((p.name, p.ssn), ("Tolvan Tolvansson", Some("191212121212")));
    }

    #[test]
    fn subs_and_hints_are_unique_and_every_person_is_found_by_its_hint() {
        let subs: HashSet<_> = persons().iter().map(|p| p.sub).collect();
        assert_eq!(subs.len(), persons().len());
        for p in persons() {
            assert_eq!(find_person(p.login_hint).map(|f| f.sub), Some(p.sub));
            let birthdate: identity::Date = p.birthdate.parse().unwrap();
            assert!(birthdate.year() > 1900);
            assert!(!p.name.is_empty() && p.name.contains(p.given_name));
            assert!(p.name.contains(p.family_name));
            assert!(p.ssn.is_some() != p.email.is_some(), "{}", p.name);
        }
    }

    #[test]
    fn hints_are_normalised_as_people_type_them() {
        for typed in [
            "19121212-1212",
            "191212121212",
            "121212-1212",
            "121212+1212",
            "1212121212",
            " 19121212-1212 ",
            "sub:ssn:191212121212",
            "SUB:SSN:19121212-1212",
        ] {
            assert_eq!(
                find_person(typed).map(|p| p.sub),
                Some("sandbox-1"),
                "{typed}"
            );
        }
        assert_eq!(find_person("8507232380").map(|p| p.sub), Some("sandbox-2"));
        assert_eq!(find_person("15037812045").map(|p| p.sub), Some("sandbox-3"));
        assert_eq!(
            find_person("150378-12045").map(|p| p.sub),
            Some("sandbox-3")
        );
        assert_eq!(find_person("0506841232").map(|p| p.sub), Some("sandbox-4"));
        assert_eq!(
            find_person("sub:ssn:050684-1232").map(|p| p.sub),
            Some("sandbox-4")
        );
        assert_eq!(
            find_person("Anna@Example.COM").map(|p| p.sub),
            Some("sandbox-5")
        );
        assert_eq!(
            find_person("erik@example.com").map(|p| p.sub),
            Some("sandbox-6")
        );
    }

    #[test]
    fn unknown_or_invalid_hints_find_no_one() {
        for typed in [
            "",
            "19121212-1213", // wrong check digit
            "201212121212",  // valid, but not a test person
            "19121212",      // too short
            "sub:ssn:",
            "nobody@example.com",
            "anna@example.co",
            "Tolvan",
        ] {
            assert_eq!(find_person(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn a_stand_in_is_someone_else_found_the_same_way() {
        for p in persons() {
            let other = stand_in_for(p);
            assert_ne!(other.sub, p.sub);
            assert_eq!(other.ssn.is_some(), p.ssn.is_some(), "{}", p.name);
            if p.ssn.is_some() && persons().iter().filter(|q| q.country == p.country).count() > 1 {
                assert_eq!(other.country, p.country, "{}", p.name);
            }
        }
    }

    #[test]
    fn masked_hints_hide_the_numbers() {
        let tolvan = find_person("191212121212").unwrap();
        assert_eq!(tolvan.masked_hint(), "19121212-XXXX");
        let anna = find_person("anna@example.com").unwrap();
        assert_eq!(anna.masked_hint(), "a****@example.com");
    }
}
