pub mod discover;
pub mod sandbox;
pub mod verify;
