//! The tip form's token: proof that a submission comes from a form this site served recently,
//! without a session or a cookie (a tipster may block both). It is the time the form was served
//! and an HMAC-SHA256 of it under a key derived from the installation's secret, so every node
//! checks every other node's tokens.

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

impl FormToken {
    /// A token for a form served at `now` (Unix seconds).
    pub fn issue(install: &InstallSecret, now: i64) -> String {
        format!("{now}.{}", hex::encode(Self::mac(install, now)))
    }

    /// Checks a token sent back at `now`.
    pub fn check(install: &InstallSecret, token: &str, now: i64) -> Result<(), FormTokenProblem> {
        let (issued, signature) = token.split_once('.').ok_or(FormTokenProblem::Invalid)?;
        let issued: i64 = issued.parse().map_err(|_| FormTokenProblem::Invalid)?;
        let signature = hex::decode(signature).map_err(|_| FormTokenProblem::Invalid)?;
        let mut mac = Self::keyed(install);
        mac.update(issued.to_string().as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| FormTokenProblem::Invalid)?;
        if issued > now + CLOCK_SKEW_SECS {
            return Err(FormTokenProblem::Invalid);
        }
        if now - issued > FORM_TOKEN_LIFETIME_SECS {
            return Err(FormTokenProblem::Expired);
        }
        Ok(())
    }

    fn keyed(install: &InstallSecret) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail; the fallback keeps it total.
        HmacSha256::new_from_slice(&install.derive("form-token"))
            .unwrap_or_else(|_| HmacSha256::new(&Default::default()))
    }

    fn mac(install: &InstallSecret, issued: i64) -> Vec<u8> {
        let mut mac = Self::keyed(install);
        mac.update(issued.to_string().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_check_until_they_expire() {
        let install = InstallSecret::generate().expect("secret");
        let token = FormToken::issue(&install, 1_000_000);
        assert_eq!(FormToken::check(&install, &token, 1_000_010), Ok(()));
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
        assert_eq!(
            FormToken::check(&install, "garbage", 1_000_010),
            Err(FormTokenProblem::Invalid)
        );
    }
}
