pub mod audit;
pub mod discover;
pub mod profiles;
pub mod sandbox;
pub mod secret;
pub mod verify;

/// The text of a PEM file named on the command line; the error says which file and why.
pub(crate) fn read_pem_file(path: &std::path::Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("could not read the {what} {}: {e}", path.display()))
}
