//! The identities an editor unlocked, sealed for one newsroom session, so that every node can
//! open them for that editor's requests and nothing else can.
//!
//! The sealing key is an HMAC (RFC 2104) of the session's token under a key derived from the
//! installation's secret. The token is in the editor's cookie only (the database keeps its
//! SHA-256), and the installation's secret only in the nodes' database: a copy of the database
//! alone, or a cookie alone, opens nothing. The identities are encrypted with age to the X25519
//! identity that key defines.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::InstallSecret;
use crate::codename::identity_from_key;
use crate::crypto::{EditorIdentity, Recipients, TipCryptoError, encrypt};

/// The age identity that seals this session's unlocked identities.
fn sealing_identity(
    install: &InstallSecret,
    session_token: &str,
) -> Result<EditorIdentity, TipCryptoError> {
    let key = install.derive("session-unlock");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
        .map_err(|error| TipCryptoError::Encrypt(error.to_string()))?;
    mac.update(session_token.as_bytes());
    let derived = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
    identity_from_key(&derived).map_err(|error| TipCryptoError::Encrypt(error.to_string()))
}

/// `identities` sealed for the session whose cookie carries `session_token`.
pub fn seal_for_session(
    install: &InstallSecret,
    session_token: &str,
    identities: &[EditorIdentity],
) -> Result<Vec<u8>, TipCryptoError> {
    let sealing = sealing_identity(install, session_token)?;
    let recipients = Recipients::parse([sealing.public_key().as_str()])?;
    let mut text = Zeroizing::new(String::new());
    for identity in identities {
        text.push_str(&identity.secret_line());
        text.push('\n');
    }
    encrypt(&recipients, text.as_bytes())
}

/// The identities sealed for this session; an error when the token, the installation or the
/// bytes are not the ones they were sealed with.
pub fn open_for_session(
    install: &InstallSecret,
    session_token: &str,
    sealed: &[u8],
) -> Result<Vec<EditorIdentity>, TipCryptoError> {
    let sealing = sealing_identity(install, session_token)?;
    let text = sealing.decrypt(sealed)?;
    let text = std::str::from_utf8(&text).map_err(|_| TipCryptoError::NoIdentity)?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(EditorIdentity::from_file_text)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate_identity;

    #[test]
    fn only_the_same_session_on_the_same_installation_opens_the_seal() {
        let install = InstallSecret::generate().expect("secret");
        let editor = generate_identity("Ana", "today");
        let recovery = generate_identity("recovery", "today");
        let identities = vec![
            EditorIdentity::from_file_text(&editor.file_text).expect("identity"),
            EditorIdentity::from_file_text(&recovery.file_text).expect("identity"),
        ];
        let sealed = seal_for_session(&install, "session-token-1", &identities).expect("seal");
        let secret = editor.file_text.lines().last().expect("key line");
        assert!(
            !sealed.windows(20).any(|w| w == &secret.as_bytes()[..20]),
            "the seal does not hold the key in the clear"
        );
        let opened = open_for_session(&install, "session-token-1", &sealed).expect("opens");
        let keys: Vec<String> = opened.iter().map(EditorIdentity::public_key).collect();
        assert_eq!(keys, vec![editor.public_key, recovery.public_key]);
        assert!(open_for_session(&install, "session-token-2", &sealed).is_err());
        let other = InstallSecret::generate().expect("secret");
        assert!(open_for_session(&other, "session-token-1", &sealed).is_err());
        let mut damaged = sealed.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(open_for_session(&install, "session-token-1", &damaged).is_err());
    }
}
