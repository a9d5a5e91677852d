//! The agent's own preferences: last profile, language, theme.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::App;
use super::views::{Language, Preferences, Theme};
use crate::error::Result;

impl App {
    pub fn preferences(&self) -> Preferences {
        let s = self.settings();
        let p = &s.preferences;
        Preferences {
            last_profile: p.default_profile.clone(),
            language: p.language.as_deref().and_then(from_word),
            theme: p
                .theme
                .as_deref()
                .and_then(from_word)
                .unwrap_or(Theme::System),
            // "Automatic" follows the administrator's choice, where there is one.
            system_language: s
                .policy()
                .file()
                .and_then(|f| f.language.as_deref())
                .and_then(from_word)
                .unwrap_or_else(Language::of_environment),
        }
    }

    pub fn set_preferences(&self, prefs: Preferences) -> Result<()> {
        self.update_settings(|s| {
            s.preferences.default_profile = prefs.last_profile;
            s.preferences.language = prefs.language.map(|l| word(&l));
            s.preferences.theme = Some(word(&prefs.theme)).filter(|t| t != "system");
            Ok(())
        })
    }
}

/// The settings file keeps these as plain words, spelled as their serde names.
fn word<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn from_word<T: DeserializeOwned>(w: &str) -> Option<T> {
    serde_json::from_value(w.into()).ok()
}
