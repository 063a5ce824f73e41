//! A small proof of work a browser with JavaScript does before sending a tip: a nonce such that
//! SHA-256 of the form token, a colon and the nonce starts with `POW_BITS` zero bits (about
//! 65,000 hashes: a second or two in a browser). It costs a flood of scripted submissions from
//! one address real CPU, and it lets a tipster through an address many people share (a Tor exit,
//! a campus network) once that address has used up its plain limit. Without JavaScript the form
//! works as before, under the plain limit.
//!
//! A proof is spent once, with its form: every served form has a token of its own, and the
//! first submission that uses a proof for a token spends it, whatever nonce it found. A replay
//! is only a submission without a proof. Spent proofs are remembered until their token
//! expires: in the database, which every node shares, and in a bounded [`SpentProofs`] in each
//! node's memory so a replay is usually refused without a round trip.

use std::collections::{BTreeSet, HashMap};

use sha2::{Digest, Sha256};

/// Leading zero bits the digest must have.
pub const POW_BITS: u32 = 16;

/// Whether `nonce` is a valid proof of work for `token`.
pub fn proof_of_work_holds(token: &str, nonce: &str) -> bool {
    if nonce.is_empty() || nonce.len() > 32 || !nonce.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digest = Sha256::digest(format!("{token}:{nonce}").as_bytes());
    leading_zero_bits(&digest) >= POW_BITS
}

fn leading_zero_bits(bytes: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in bytes {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// What is remembered of a spent proof: a hash of its form token (the token itself is not
/// kept).
pub fn spent_proof_key(token: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"dateline-tips/spent-proof\0");
    hasher.update(token.as_bytes());
    hasher.finalize().into()
}

/// A node's memory of recently spent proofs: the fast path before the database, bounded to
/// `capacity` entries. When full, the proofs whose tokens expire first are forgotten here first;
/// the database still knows them.
pub struct SpentProofs {
    capacity: usize,
    expiry: HashMap<[u8; 32], i64>,
    by_expiry: BTreeSet<(i64, [u8; 32])>,
}

impl SpentProofs {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            expiry: HashMap::new(),
            by_expiry: BTreeSet::new(),
        }
    }

    /// Whether this node already saw `key` spent (and its token has not expired at `now`).
    pub fn is_spent(&self, key: &[u8; 32], now: i64) -> bool {
        self.expiry
            .get(key)
            .is_some_and(|expires_at| *expires_at > now)
    }

    /// Remembers `key` as spent until `expires_at`.
    pub fn remember(&mut self, key: [u8; 32], expires_at: i64, now: i64) {
        self.forget_expired(now);
        if let Some(previous) = self.expiry.insert(key, expires_at) {
            self.by_expiry.remove(&(previous, key));
        }
        self.by_expiry.insert((expires_at, key));
        while self.expiry.len() > self.capacity {
            let Some(first) = self.by_expiry.pop_first() else {
                break;
            };
            self.expiry.remove(&first.1);
        }
    }

    pub fn len(&self) -> usize {
        self.expiry.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expiry.is_empty()
    }

    fn forget_expired(&mut self, now: i64) {
        while let Some(first) = self.by_expiry.first().copied() {
            if first.0 > now {
                break;
            }
            self.by_expiry.pop_first();
            self.expiry.remove(&first.1);
        }
    }
}

/// Finds a nonce the way the browser does (for tests and tools).
pub fn solve_proof_of_work(token: &str) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|nonce| proof_of_work_holds(token, nonce))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_solved_nonce_holds_for_its_token_only() {
        let nonce = solve_proof_of_work("1700000000.abcdef");
        assert!(proof_of_work_holds("1700000000.abcdef", &nonce));
        assert!(!proof_of_work_holds("1700000000.abcdee", &nonce));
        assert!(!proof_of_work_holds("1700000000.abcdef", ""));
        assert!(!proof_of_work_holds("1700000000.abcdef", "12a"));
        assert_eq!(leading_zero_bits(&[0, 0b0001_0000]), 11);
    }

    #[test]
    fn a_spent_proof_is_remembered_until_its_token_expires() {
        let mut spent = SpentProofs::new(100);
        let key = spent_proof_key("1700000000.0123456789abcdef.ff");
        assert_ne!(key, spent_proof_key("1700000000.0123456789abcdee.ff"));
        assert!(!spent.is_spent(&key, 1_000));
        spent.remember(key, 2_000, 1_000);
        for replay in 0..4 {
            assert!(spent.is_spent(&key, 1_000 + replay), "replay {replay}");
        }
        assert!(!spent.is_spent(&key, 2_000), "the token expired with it");
        // Remembering something new forgets what expired.
        spent.remember(spent_proof_key("other"), 5_000, 2_500);
        assert_eq!(spent.len(), 1);
    }

    #[test]
    fn memory_of_spent_proofs_is_bounded() {
        let mut spent = SpentProofs::new(3);
        let keys: Vec<[u8; 32]> = (0..10).map(|i| spent_proof_key(&i.to_string())).collect();
        for (i, key) in keys.iter().enumerate() {
            spent.remember(*key, 10_000 + i as i64, 0);
            assert!(spent.len() <= 3);
        }
        // The three that expire last are the ones kept.
        assert!(keys[7..].iter().all(|key| spent.is_spent(key, 1)));
        assert!(!spent.is_spent(&keys[0], 1));
    }
}
