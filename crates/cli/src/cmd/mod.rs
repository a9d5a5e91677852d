pub mod audit;
pub mod discover;
pub mod profiles;
pub mod sandbox;
pub mod secret;
pub mod verify;
