//! Where in a TOML text a problem is, so the message can name the line and column.

use crate::error::Location;

pub(super) fn location(text: &str, e: &toml::de::Error) -> Option<Location> {
    e.span().map(|s| Location::of_offset(text, s.start))
}

/// Where `key =` first appears at the start of a line.
pub(super) fn key_location(text: &str, key: &str) -> Option<Location> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let rest = trimmed
            .strip_prefix(key)
            .or_else(|| trimmed.strip_prefix(&format!("\"{key}\"")));
        if rest.is_some_and(|r| r.trim_start().starts_with('=')) {
            return Some(Location::of_offset(
                text,
                offset + (line.len() - trimmed.len()),
            ));
        }
        offset += line.len();
    }
    None
}

/// Where `key = "value"` appears (a profile's `name = "…"`).
pub(super) fn key_value_location(text: &str, key: &str, value: &str) -> Option<Location> {
    let quoted = toml::Value::String(value.into()).to_string();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && let Some(v) = rest.trim_start().strip_prefix('=')
            && (v.trim() == quoted || v.trim().trim_matches('\'') == value)
        {
            return Some(Location::of_offset(
                text,
                offset + (line.len() - trimmed.len()),
            ));
        }
        offset += line.len();
    }
    None
}
