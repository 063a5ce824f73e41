//! The newsroom's people: staff accounts and their roles.
//!
//! Staff are separate from bylines ([`crate::Author`]): a staff member may write under an author
//! profile, but wire copy and guest bylines have no account, and an admin may have no byline.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{PasswordRefusal, PeopleRefusal, TokenRefusal};

/// Longest staff display name, in characters.
pub const NAME_MAX_CHARS: usize = 120;

/// Whether `email` looks like an address mail can go to: something, `@`, a domain with a dot,
/// no spaces, at most 254 characters (RFC 5321 §4.5.3.1.3). Only a message that arrives proves
/// more. Staff and readers alike.
pub fn plausible_email(email: &str) -> bool {
    let email = email.trim();
    email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace)
}

/// What is wrong with a staff account's address and name, both at once: the rule for every
/// account, made in the newsroom, on the command line or by a fixture.
pub fn check_account(email: &str, display_name: &str) -> Vec<PeopleRefusal> {
    let mut refused = Vec::new();
    if !plausible_email(email) {
        refused.push(PeopleRefusal::EmailInvalid);
    }
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
        refused.push(PeopleRefusal::NameLength {
            max: NAME_MAX_CHARS,
        });
    }
    refused
}

/// Longest Admin API token name, in characters.
pub const TOKEN_NAME_CHARS: usize = 80;

/// A token's name tells the tokens apart in the newsroom's list and in the audit log.
pub fn check_token_name(name: &str) -> Result<(), TokenRefusal> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > TOKEN_NAME_CHARS {
        Err(TokenRefusal::NameLength {
            max: TOKEN_NAME_CHARS,
        })
    } else {
        Ok(())
    }
}

pub const MIN_PASSWORD_CHARS: usize = 12;
/// Long enough for any passphrase; short enough that hashing cannot be used to burn our CPU.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Whether `password` may be the password of the account signing in as `email`: long enough to
/// resist guessing (NIST SP 800-63B §5.1.1.2 asks for no composition rules, only length), short
/// enough to hash cheaply, and not the address itself. The same rule for staff and readers.
pub fn check_password(password: &str, email: &str) -> Result<(), PasswordRefusal> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(PasswordRefusal::TooShort {
            min: MIN_PASSWORD_CHARS,
        });
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(PasswordRefusal::TooLong {
            max: MAX_PASSWORD_CHARS,
        });
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(PasswordRefusal::IsEmail);
    }
    Ok(())
}

/// What a staff member may do, from least to most trusted. The order is meaningful: each role
/// can do everything the ones before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Writes drafts and submits them for review.
    Contributor,
    /// Also publishes their own articles.
    Author,
    /// Publishes anything, corrects, moderates, triages tips.
    Editor,
    /// Also manages users, sections and settings.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Contributor, Role::Author, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contributor => "contributor",
            Role::Author => "author",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A staff account, without its secrets (the password hash never leaves the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: i64,
    /// Stored lower-cased; the login name.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The byline this person writes under, if any.
    pub author_id: Option<i64>,
    pub created_at: Timestamp,
    /// Disabled accounts cannot log in; they stay for the audit trail and revision history.
    pub disabled_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_trust_and_round_trip_through_text() {
        assert!(Role::Contributor < Role::Author);
        assert!(Role::Author < Role::Editor);
        assert!(Role::Editor < Role::Admin);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn password_policy() {
        assert_eq!(
            check_password("short", "a@b.org"),
            Err(PasswordRefusal::TooShort { min: 12 })
        );
        assert!(check_password("twelve chars", "a@b.org").is_ok());
        assert_eq!(
            check_password(&"x".repeat(1025), "a@b.org"),
            Err(PasswordRefusal::TooLong { max: 1024 })
        );
        assert!(check_password(&"é".repeat(1024), "a@b.org").is_ok());
        assert_eq!(
            check_password("Ana@Example.org", "ana@example.org"),
            Err(PasswordRefusal::IsEmail)
        );
    }
}
