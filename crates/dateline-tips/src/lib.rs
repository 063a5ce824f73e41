//! Tips that protect their sources: everything a tipster sends is encrypted with age (X25519) to
//! every recipient of the newsroom before it is written anywhere, so a stolen database, storage
//! bucket or backup reveals nothing. The server keeps public keys only; an editor's identity is
//! a file they keep, optionally also stored wrapped with their passphrase (age scrypt).
//!
//! A tipster gets a codename of seven diceware words, shown once. The database never holds it:
//! it holds an argon2id hash of it (the lookup key) and the public half of an X25519 identity
//! derived from it, so replies can be encrypted to the newsroom and to the codename holder alone.
//!
//! This crate does no IO; the store, the web layer and the CLI build on it.

mod attachments;
mod codename;
mod crypto;
mod form_token;
mod proof_of_work;
mod session_seal;

pub use attachments::{
    AttachmentCheck, AttachmentProblem, AttachmentType, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS,
    accepted_extensions, check_attachment,
};
pub use codename::{CODENAME_WORDS, Codename, CodenameError, InstallSecret};
pub use crypto::{
    EditorIdentity, NewIdentity, Recipients, StreamingEncryptor, TipCryptoError, decrypt, encrypt,
    generate_identity, parse_recipient, unwrap_identity, wrap_identity,
};
pub use form_token::{FORM_TOKEN_LIFETIME_SECS, FormToken, FormTokenProblem, ValidForm};
pub use proof_of_work::{
    POW_BITS, SpentProofs, proof_of_work_holds, solve_proof_of_work, spent_proof_key,
};
pub use session_seal::{open_for_session, seal_for_session};

/// The longest message a tipster may send, in characters.
pub const MAX_MESSAGE_CHARS: usize = 20_000;
/// The longest contact details, in characters: a name, an address, a phone number or two.
pub const MAX_CONTACT_CHARS: usize = 1_000;
