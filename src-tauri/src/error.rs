//! The one error the page sees: a stable `code` and a sentence the agent can act on.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UiError {
    pub code: String,
    pub message: String,
}

impl UiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn unknown_profile(name: &str) -> Self {
        Self::new(
            "unknown_profile",
            format!("There is no profile named {name:?}; pick one from the list."),
        )
    }
}

impl From<desk::DeskError> for UiError {
    fn from(e: desk::DeskError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_to_code_and_message() {
        let e = UiError::unknown_profile("x");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "unknown_profile");
        assert!(v["message"].as_str().unwrap().contains("\"x\""));
        assert_eq!(v.as_object().unwrap().len(), 2);
    }
}
