//! age encryption: to every newsroom recipient (and, for replies, the tipster's codename key),
//! and editor identities wrapped with a passphrase.

use std::io::{Read, Write};
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum TipCryptoError {
    #[error("no recipient to encrypt to")]
    NoRecipients,
    #[error("not an age X25519 public key (age1…): {0}")]
    BadRecipient(String),
    #[error("the identity file holds no age secret key (AGE-SECRET-KEY-1…)")]
    NoIdentity,
    #[error("encryption failed: {0}")]
    Encrypt(String),
    /// Wrong key or passphrase, or a damaged ciphertext; deliberately not more precise.
    #[error("could not decrypt: wrong key or passphrase, or damaged data")]
    Decrypt,
}

/// The public keys a tip is encrypted to. Never empty.
#[derive(Clone)]
pub struct Recipients(Vec<x25519::Recipient>);

impl Recipients {
    /// Parses `age1…` public keys; refuses an empty list, since a tip encrypted to nobody is a
    /// tip lost.
    pub fn parse<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<Self, TipCryptoError> {
        let recipients = keys
            .into_iter()
            .map(parse_recipient)
            .collect::<Result<Vec<_>, _>>()?;
        if recipients.is_empty() {
            return Err(TipCryptoError::NoRecipients);
        }
        Ok(Self(recipients))
    }

    /// The same recipients and one more (the tipster's reply key).
    pub fn with(&self, extra: x25519::Recipient) -> Self {
        let mut recipients = self.0.clone();
        recipients.push(extra);
        Self(recipients)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub fn parse_recipient(key: &str) -> Result<x25519::Recipient, TipCryptoError> {
    x25519::Recipient::from_str(key.trim())
        .map_err(|error| TipCryptoError::BadRecipient(error.to_owned()))
}

/// Encrypts `plaintext` to every recipient, as a binary age file that stock `age -d` reads.
pub fn encrypt(recipients: &Recipients, plaintext: &[u8]) -> Result<Vec<u8>, TipCryptoError> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.0.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|error| TipCryptoError::Encrypt(error.to_string()))?;
    let mut ciphertext = Vec::with_capacity(plaintext.len() + 256);
    let mut writer = encryptor
        .wrap_output(&mut ciphertext)
        .map_err(|error| TipCryptoError::Encrypt(error.to_string()))?;
    writer
        .write_all(plaintext)
        .and_then(|()| writer.finish().map(drop))
        .map_err(|error| TipCryptoError::Encrypt(error.to_string()))?;
    Ok(ciphertext)
}

/// Encryption to every recipient for a file that arrives in pieces: the same age file as
/// [`encrypt`] makes, handed out as it is produced, so an upload of any size is encrypted with
/// memory for one age chunk (64 KiB of plaintext) rather than the whole file.
pub struct StreamingEncryptor {
    writer: age::stream::StreamWriter<CiphertextQueue>,
    produced: CiphertextQueue,
}

/// Where the age writer puts ciphertext until [`StreamingEncryptor`] hands it out.
#[derive(Clone, Default)]
struct CiphertextQueue(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CiphertextQueue {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut queued| std::mem::take(&mut *queued))
            .unwrap_or_default()
    }
}

impl Write for CiphertextQueue {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("ciphertext queue poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl StreamingEncryptor {
    /// Starts an age file to `recipients`; [`Self::take`] hands out its header first.
    pub fn new(recipients: &Recipients) -> Result<Self, TipCryptoError> {
        let encryptor =
            age::Encryptor::with_recipients(recipients.0.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|error| TipCryptoError::Encrypt(error.to_string()))?;
        let produced = CiphertextQueue::default();
        let writer = encryptor
            .wrap_output(produced.clone())
            .map_err(|error| TipCryptoError::Encrypt(error.to_string()))?;
        Ok(Self { writer, produced })
    }

    /// Encrypts the next piece of plaintext; returns the ciphertext ready so far (often none:
    /// age seals whole 64 KiB chunks).
    pub fn push(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, TipCryptoError> {
        self.writer
            .write_all(plaintext)
            .map_err(|error| TipCryptoError::Encrypt(error.to_string()))?;
        Ok(self.produced.take())
    }

    /// The ciphertext produced so far, without adding plaintext.
    pub fn take(&mut self) -> Vec<u8> {
        self.produced.take()
    }

    /// Seals the last chunk; returns the rest of the file.
    pub fn finish(self) -> Result<Vec<u8>, TipCryptoError> {
        let produced = self
            .writer
            .finish()
            .map_err(|error| TipCryptoError::Encrypt(error.to_string()))?;
        Ok(produced.take())
    }
}

/// Decrypts an age file with any of `identities` that can; the plaintext is wiped when dropped.
pub fn decrypt(
    identities: &[EditorIdentity],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, TipCryptoError> {
    let identities: Vec<&dyn age::Identity> = identities.iter().map(|i| i.as_age()).collect();
    decrypt_age(&identities, ciphertext)
}

fn decrypt_age(
    identities: &[&dyn age::Identity],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, TipCryptoError> {
    let decryptor = age::Decryptor::new(ciphertext).map_err(|_| TipCryptoError::Decrypt)?;
    let mut reader = decryptor
        .decrypt(identities.iter().copied())
        .map_err(|_| TipCryptoError::Decrypt)?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    reader
        .read_to_end(&mut plaintext)
        .map_err(|_| TipCryptoError::Decrypt)?;
    Ok(plaintext)
}

/// An editor's (or the offline recovery) identity: the secret key, wiped from memory when
/// dropped (x25519-dalek zeroises its `StaticSecret`).
#[derive(Clone)]
pub struct EditorIdentity(x25519::Identity);

impl EditorIdentity {
    pub(crate) fn from_age(identity: x25519::Identity) -> Self {
        Self(identity)
    }

    /// Reads the first `AGE-SECRET-KEY-1…` line of an identity file as `age-keygen` writes it
    /// (comments start with `#`).
    pub fn from_file_text(text: &str) -> Result<Self, TipCryptoError> {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .find_map(|line| x25519::Identity::from_str(line).ok())
            .map(Self)
            .ok_or(TipCryptoError::NoIdentity)
    }

    pub fn public_key(&self) -> String {
        self.0.to_public().to_string()
    }

    /// The `AGE-SECRET-KEY-1…` line of this identity, wiped when dropped.
    pub(crate) fn secret_line(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.to_string().expose_secret().to_owned())
    }

    fn as_age(&self) -> &dyn age::Identity {
        &self.0
    }

    /// Decrypts something encrypted to this identity.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, TipCryptoError> {
        decrypt_age(&[&self.0], ciphertext)
    }
}

/// A freshly generated identity: the file to hand to the editor and its public key.
pub struct NewIdentity {
    /// The identity file in `age-keygen`'s format (comments, then the secret key line).
    pub file_text: Zeroizing<String>,
    pub public_key: String,
}

/// Generates an identity; `label` goes in the file's comment so the editor knows what it is.
pub fn generate_identity(label: &str, created: &str) -> NewIdentity {
    let identity = x25519::Identity::generate();
    let public_key = identity.to_public().to_string();
    let secret = identity.to_string();
    let file_text = Zeroizing::new(format!(
        "# Dateline tips identity for {label}\n# created: {created}\n# public key: {public_key}\n{}\n",
        secret.expose_secret()
    ));
    NewIdentity {
        file_text,
        public_key,
    }
}

/// The identity file encrypted with a passphrase (age scrypt), for the database copy an editor
/// unlocks in the newsroom.
pub fn wrap_identity(file_text: &str, passphrase: &str) -> Result<Vec<u8>, TipCryptoError> {
    let encryptor = age::Encryptor::with_user_passphrase(SecretString::from(passphrase.to_owned()));
    let mut ciphertext = Vec::new();
    let mut writer = encryptor
        .wrap_output(&mut ciphertext)
        .map_err(|error| TipCryptoError::Encrypt(error.to_string()))?;
    writer
        .write_all(file_text.as_bytes())
        .and_then(|()| writer.finish().map(drop))
        .map_err(|error| TipCryptoError::Encrypt(error.to_string()))?;
    Ok(ciphertext)
}

/// Opens a wrapped identity with its passphrase. Slow by design (scrypt): call it off the async
/// threads.
pub fn unwrap_identity(wrapped: &[u8], passphrase: &str) -> Result<EditorIdentity, TipCryptoError> {
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    let text = decrypt_age(&[&identity], wrapped)?;
    let text = std::str::from_utf8(&text).map_err(|_| TipCryptoError::NoIdentity)?;
    EditorIdentity::from_file_text(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recipient_can_read_and_no_one_else() {
        let editor = generate_identity("Ana", "today");
        let recovery = generate_identity("recovery", "today");
        let stranger = generate_identity("stranger", "today");
        let recipients =
            Recipients::parse([editor.public_key.as_str(), recovery.public_key.as_str()])
                .expect("keys parse");
        let ciphertext = encrypt(&recipients, b"the minister knew").expect("encrypts");
        assert!(
            !ciphertext
                .windows(b"minister".len())
                .any(|w| w == b"minister")
        );
        for holder in [&editor, &recovery] {
            let identity = EditorIdentity::from_file_text(&holder.file_text).expect("identity");
            assert_eq!(identity.public_key(), holder.public_key);
            assert_eq!(
                identity.decrypt(&ciphertext).expect("decrypts").as_slice(),
                b"the minister knew"
            );
        }
        let stranger = EditorIdentity::from_file_text(&stranger.file_text).expect("identity");
        assert!(matches!(
            stranger.decrypt(&ciphertext),
            Err(TipCryptoError::Decrypt)
        ));
    }

    #[test]
    fn recipients_are_required_and_checked() {
        assert!(matches!(
            Recipients::parse(Vec::<&str>::new()),
            Err(TipCryptoError::NoRecipients)
        ));
        assert!(matches!(
            Recipients::parse(["age1notakey"]),
            Err(TipCryptoError::BadRecipient(_))
        ));
        assert!(matches!(
            EditorIdentity::from_file_text("# nothing here\n"),
            Err(TipCryptoError::NoIdentity)
        ));
    }

    #[test]
    fn a_wrapped_identity_opens_with_its_passphrase_only() {
        let editor = generate_identity("Ana", "today");
        let wrapped = wrap_identity(&editor.file_text, "a long editor passphrase").expect("wraps");
        let secret_line = editor
            .file_text
            .lines()
            .last()
            .expect("secret line")
            .to_owned();
        assert!(
            !wrapped
                .windows(secret_line.len())
                .any(|w| w == secret_line.as_bytes())
        );
        let opened = unwrap_identity(&wrapped, "a long editor passphrase").expect("opens");
        assert_eq!(opened.public_key(), editor.public_key);
        assert!(unwrap_identity(&wrapped, "the wrong passphrase").is_err());
    }

    #[test]
    fn a_file_encrypted_in_pieces_is_one_age_file_every_recipient_reads() {
        let editor = generate_identity("Ana", "today");
        let recipients = Recipients::parse([editor.public_key.as_str()]).expect("keys parse");
        let identity = EditorIdentity::from_file_text(&editor.file_text).expect("identity");
        // Three age chunks and a bit, in pieces that never line up with them.
        let plaintext: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut encryptor = StreamingEncryptor::new(&recipients).expect("starts");
        let mut ciphertext = encryptor.take();
        assert!(
            ciphertext.starts_with(b"age-encryption.org/v1"),
            "the header comes first"
        );
        let mut largest_output = 0;
        for piece in plaintext.chunks(7_777) {
            let out = encryptor.push(piece).expect("encrypts");
            largest_output = largest_output.max(out.len());
            ciphertext.extend_from_slice(&out);
        }
        ciphertext.extend_from_slice(&encryptor.finish().expect("finishes"));
        assert!(
            largest_output <= 64 * 1024 + 16,
            "ciphertext is handed out chunk by chunk ({largest_output} bytes at once)"
        );
        assert_eq!(
            identity.decrypt(&ciphertext).expect("decrypts").as_slice(),
            plaintext.as_slice()
        );
        assert!(
            !ciphertext
                .windows(64)
                .any(|w| plaintext.windows(64).next() == Some(w))
        );
    }
}
