pub mod discover;
pub mod verify;
