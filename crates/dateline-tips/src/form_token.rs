//! The tip form's token: proof that a submission comes from a form this site served recently,
//! without a session or a cookie (a tipster may block both). It is the time the form was served,
//! a random serial that makes every served form's token its own, and an HMAC-SHA256 of both
//! under a key derived from the installation's secret, so every node checks every other node's
//! tokens.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::InstallSecret;

type HmacSha256 = Hmac<Sha256>;

/// How long a form stays valid: long enough to write a careful message.
pub const FORM_TOKEN_LIFETIME_SECS: i64 = 6 * 60 * 60;
/// Clocks of different nodes disagree a little.
const CLOCK_SKEW_SECS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormTokenProblem {
    #[error("This form has expired. Your text is still here: send it again.")]
    Expired,
    #[error("This form did not come from this site. Reload the page and send it again.")]
    Invalid,
}

pub struct FormToken;

/// A form token that checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidForm {
    /// When the token stops being accepted (Unix seconds): what is remembered about it (a spent
    /// proof of work) can be forgotten then.
    pub expires_at: i64,
}

impl FormToken {
    /// A token for a form served at `now` (Unix seconds).
    pub fn issue(install: &InstallSecret, now: i64) -> String {
        let signed = format!("{now}.{}", serial());
        format!("{signed}.{}", hex::encode(Self::mac(install, &signed)))
    }

    /// Checks a token sent back at `now`; a good token says until when it stays good.
    pub fn check(
        install: &InstallSecret,
        token: &str,
        now: i64,
    ) -> Result<ValidForm, FormTokenProblem> {
        let (signed, signature) = token.rsplit_once('.').ok_or(FormTokenProblem::Invalid)?;
        // Tokens served before serials existed are `issued.mac`; they stay good for their
        // lifetime, so a form open across an upgrade still sends.
        let issued = signed.split_once('.').map_or(signed, |(issued, _)| issued);
        let issued: i64 = issued.parse().map_err(|_| FormTokenProblem::Invalid)?;
        if !signed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(FormTokenProblem::Invalid);
        }
        let signature = hex::decode(signature).map_err(|_| FormTokenProblem::Invalid)?;
        let mut mac = Self::keyed(install);
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| FormTokenProblem::Invalid)?;
        if issued > now + CLOCK_SKEW_SECS {
            return Err(FormTokenProblem::Invalid);
        }
        if now - issued > FORM_TOKEN_LIFETIME_SECS {
            return Err(FormTokenProblem::Expired);
        }
        Ok(ValidForm {
            expires_at: issued + FORM_TOKEN_LIFETIME_SECS + CLOCK_SKEW_SECS,
        })
    }

    fn keyed(install: &InstallSecret) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail; the fallback keeps it total.
        HmacSha256::new_from_slice(&install.derive("form-token"))
            .unwrap_or_else(|_| HmacSha256::new(&Default::default()))
    }

    fn mac(install: &InstallSecret, signed: &str) -> Vec<u8> {
        let mut mac = Self::keyed(install);
        mac.update(signed.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// Eight random bytes as hex. The serial only has to differ between forms (the MAC protects
/// it), so without the system's randomness a process-wide counter and the clock do.
fn serial() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let count = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        bytes = (count.rotate_left(32) ^ u64::from(clock)).to_be_bytes();
    }
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_check_until_they_expire() {
        let install = InstallSecret::generate().expect("secret");
        let token = FormToken::issue(&install, 1_000_000);
        assert_eq!(
            FormToken::check(&install, &token, 1_000_010),
            Ok(ValidForm {
                expires_at: 1_000_000 + FORM_TOKEN_LIFETIME_SECS + CLOCK_SKEW_SECS
            })
        );
        assert_eq!(
            FormToken::check(&install, &token, 1_000_000 + FORM_TOKEN_LIFETIME_SECS + 1),
            Err(FormTokenProblem::Expired)
        );
        let other = InstallSecret::generate().expect("secret");
        assert_eq!(
            FormToken::check(&other, &token, 1_000_010),
            Err(FormTokenProblem::Invalid)
        );
        let forged = token.replacen("1000000", "1000005", 1);
        assert_eq!(
            FormToken::check(&install, &forged, 1_000_010),
            Err(FormTokenProblem::Invalid)
        );
        for garbage in ["garbage", "", ".", "1000000..00", "x.y.z"] {
            assert_eq!(
                FormToken::check(&install, garbage, 1_000_010),
                Err(FormTokenProblem::Invalid),
                "{garbage}"
            );
        }
    }

    #[test]
    fn every_served_form_has_its_own_token() {
        let install = InstallSecret::generate().expect("secret");
        let first = FormToken::issue(&install, 1_000_000);
        let second = FormToken::issue(&install, 1_000_000);
        assert_ne!(first, second, "two forms served in the same second");
        assert!(FormToken::check(&install, &second, 1_000_001).is_ok());
        // A serial moved to another form's token breaks its MAC.
        let (_, serial_and_mac) = first.split_once('.').expect("issued");
        let (serial, _) = serial_and_mac.split_once('.').expect("serial");
        let (_, second_rest) = second.split_once('.').expect("issued");
        let (_, second_mac) = second_rest.split_once('.').expect("serial");
        let spliced = format!("1000000.{serial}.{second_mac}");
        assert_eq!(
            FormToken::check(&install, &spliced, 1_000_001),
            Err(FormTokenProblem::Invalid)
        );
    }

    #[test]
    fn tokens_served_before_serials_still_check() {
        let install = InstallSecret::generate().expect("secret");
        let old = format!(
            "1000000.{}",
            hex::encode(FormToken::mac(&install, "1000000"))
        );
        assert!(FormToken::check(&install, &old, 1_000_010).is_ok());
    }
}
