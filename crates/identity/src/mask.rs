//! Redaction for values that are shown on screen or written to logs.

/// Keeps the first character of the local part and the whole domain:
/// `alice@example.com` → `a****@example.com`.
///
/// The number of stars is fixed so the mask does not reveal the length of
/// the local part. Anything without a usable `@` is masked with
/// [`mask_generic`].
pub fn mask_email(email: &str) -> String {
    let email = email.trim();
    match email.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}****@{domain}")
        }
        _ => mask_generic(email, 1),
    }
}

/// Keeps at most `keep_start` leading characters and replaces every other
/// character with `*`.
///
/// Never keeps more than a third of the value, so a short value cannot come
/// out nearly readable just because `keep_start` suited longer ones.
pub fn mask_generic(value: &str, keep_start: usize) -> String {
    let length = value.chars().count();
    let keep = keep_start.min(length / 3);
    value
        .chars()
        .enumerate()
        .map(|(index, character)| if index < keep { character } else { '*' })
        .collect()
}

/// `text` with every number in it for which `hide(digits)` holds replaced by `with`. A number
/// is a run of digits, single `-`, `+` or spaces between them included, as people write
/// identity numbers (`191212121212`, `19121212-1212`, `121212 1212`); `hide` sees its digits
/// only.
pub fn replace_numbers(text: &str, with: &str, hide: impl Fn(&str) -> bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len()
            && (chars[j].is_ascii_digit()
                || (matches!(chars[j], '-' | '+' | ' ')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
        {
            j += 1;
        }
        let digits: String = chars[i..j].iter().filter(|c| c.is_ascii_digit()).collect();
        if hide(&digits) {
            out.push_str(with);
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_found_however_they_are_written() {
        let long = |d: &str| d.len() >= 10;
        assert_eq!(
            replace_numbers("call 19121212-1212 or 121212 1212, not 1234", "#", long),
            "call # or #, not 1234"
        );
        assert_eq!(
            replace_numbers("a-1 2-b", "#", |_| true),
            "a-#-b",
            "one number"
        );
    }

    #[test]
    fn masks_email_local_part() {
        assert_eq!(mask_email("alice@example.com"), "a****@example.com");
        assert_eq!(mask_email(" b@example.org "), "b****@example.org");
        assert_eq!(mask_email("Åsa@exempel.se"), "Å****@exempel.se");
        assert_eq!(mask_email("a\"@\"b@host"), "a****@host");
    }

    #[test]
    fn email_without_usable_at_is_masked_generically() {
        assert_eq!(mask_email("alice"), "a****");
        assert_eq!(mask_email("al"), "**");
        assert_eq!(mask_email("@example.com"), "@***********");
        assert_eq!(mask_email("alice@"), "a*****");
    }

    #[test]
    fn generic_keeps_at_most_a_third() {
        assert_eq!(mask_generic("+46701234567", 3), "+46*********");
        assert_eq!(mask_generic("+46701234567", 100), "+467********");
        assert_eq!(mask_generic("abc", 2), "a**");
        assert_eq!(mask_generic("ab", 2), "**");
        assert_eq!(mask_generic("", 2), "");
        assert_eq!(mask_generic("åäöåäö", 2), "åä****");
    }
}
