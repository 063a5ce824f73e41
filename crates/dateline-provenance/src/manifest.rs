//! The C2PA side: the active manifest's `c2pa.actions` assertion, who signed it and whether the
//! signature holds, read with the `c2pa` crate (pure-Rust crypto, nothing fetched over the
//! network).

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use c2pa::{Context, Reader, ValidationState};

use crate::ImageFormat;

/// Reading never goes to the network: no remote manifests, no OCSP. An upload must not make the
/// server fetch URLs chosen by whoever made the file.
const READER_SETTINGS: &str =
    r#"{"verify": {"remote_manifest_fetch": false, "ocsp_fetch": false}}"#;

/// What the active manifest says.
#[derive(Debug)]
pub(crate) struct ManifestFinding {
    /// The first `digitalSourceType` among the actions, as written. The C2PA specification
    /// requires `c2pa.created` or `c2pa.opened` to be the first action, and that is the one that
    /// says how the asset came to be.
    pub(crate) source_type: Option<String>,
    /// Common name of the signing certificate's subject.
    pub(crate) common_name: Option<String>,
    /// Organisation of the signing certificate's subject (the SDK calls it `issuer`).
    pub(crate) organization: Option<String>,
    /// The manifest is well formed and its signature and hashes check out (C2PA "valid").
    pub(crate) valid: bool,
    /// Valid, and the certificate chains to a trust anchor the reader knows (C2PA "trusted").
    pub(crate) trusted: bool,
    /// Validation failure codes of the active manifest, e.g. `signingCredential.untrusted`.
    pub(crate) failures: Vec<String>,
}

/// The active manifest's finding, `None` when the file carries no C2PA manifest at all; an error
/// describes a manifest that is there but could not be read.
pub(crate) fn read(bytes: &[u8], format: ImageFormat) -> Result<Option<ManifestFinding>, String> {
    // The SDK parses attacker-controlled JUMBF and CBOR; a panic in it must cost the finding, not
    // the upload.
    catch_unwind(AssertUnwindSafe(|| read_unguarded(bytes, format)))
        .unwrap_or_else(|_| Err("the C2PA manifest could not be read (the reader crashed)".into()))
}

fn read_unguarded(bytes: &[u8], format: ImageFormat) -> Result<Option<ManifestFinding>, String> {
    let context = Context::new()
        .with_settings(READER_SETTINGS)
        .map_err(|error| format!("C2PA reader settings: {error}"))?;
    let reader = match Reader::from_context(context).with_stream(format.mime(), Cursor::new(bytes))
    {
        Ok(reader) => reader,
        Err(c2pa::Error::JumbfNotFound | c2pa::Error::ProvenanceMissing) => return Ok(None),
        Err(error) => return Err(format!("the C2PA manifest could not be read: {error}")),
    };
    let Some(manifest) = reader.active_manifest() else {
        return Err("the C2PA manifest store has no active manifest".into());
    };
    let source_type = manifest
        .assertions()
        .iter()
        .filter(|assertion| assertion.label().starts_with("c2pa.actions"))
        .filter_map(|assertion| assertion.value().ok())
        .filter_map(|value| value.get("actions")?.as_array().cloned())
        .flatten()
        .find_map(|action| Some(action.get("digitalSourceType")?.as_str()?.to_owned()));
    let signature = manifest.signature_info();
    let state = reader.validation_state();
    let failures = reader
        .validation_results()
        .and_then(|results| results.active_manifest())
        .map(|codes| {
            codes
                .failure()
                .iter()
                .map(|status| status.code().to_owned())
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(ManifestFinding {
        source_type,
        common_name: signature.and_then(|info| info.common_name.clone()),
        organization: signature.and_then(|info| info.issuer.clone()),
        valid: matches!(state, ValidationState::Valid | ValidationState::Trusted),
        trusted: state == ValidationState::Trusted,
        failures,
    }))
}
