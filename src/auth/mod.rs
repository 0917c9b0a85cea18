//! Who is calling: passwords, tokens, and the `AuthUser` extractor with its role checks.

pub mod client;
pub mod extractor;
pub mod flood_guard;
pub mod hashing;
pub mod jwt;
pub mod password;

pub use extractor::AuthUser;
pub use jwt::{JwtKeys, Purpose};
