//! A small proof of work a browser with JavaScript does before sending a tip: a nonce such that
//! SHA-256 of the form token, a colon and the nonce starts with `POW_BITS` zero bits (about
//! 65,000 hashes: a second or two in a browser). It costs a flood of scripted submissions from
//! one address real CPU, and it lets a tipster through an address many people share (a Tor exit,
//! a campus network) once that address has used up its plain limit. Without JavaScript the form
//! works as before, under the plain limit.

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
}
