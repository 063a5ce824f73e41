//! Where an uploaded picture says it came from, read from the file itself: the IPTC digital
//! source type in a signed C2PA manifest (`c2pa.actions`, `digitalSourceType`) or in its XMP
//! (`Iptc4xmpExt:DigitalSourceType`), and which of the two said it.
//!
//! This crate exists to keep the heavy `c2pa` dependency where it recompiles rarely; media
//! storage calls [`read_provenance`] on every upload and [`embed_source_type`] on the variants it
//! re-encodes, which would otherwise lose the declaration with the rest of the metadata.
//!
//! Nothing here fails an upload: a damaged manifest or packet yields no finding and a warning
//! for the newsroom, and a manifest is believed over XMP because it is signed while anyone can
//! edit XMP (C2PA Technical Specification, actions assertion; IPTC Photo Metadata Standard,
//! Digital Source Type).

mod containers;
mod manifest;
mod xmp;

use serde::Serialize;

pub use dateline_core::provenance::DigitalSourceType;

/// The upload formats whose metadata is read. The caller identifies the format from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl ImageFormat {
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Webp => "image/webp",
            ImageFormat::Gif => "image/gif",
        }
    }
}

/// What a file declares about how it was made, and on whose word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The declared value when it is a term of the IPTC vocabulary: what the newsroom form
    /// pre-fills.
    pub source_type: Option<DigitalSourceType>,
    /// The value exactly as the file declares it, kept even when it is no IPTC term (C2PA has a
    /// few of its own, such as `http://c2pa.org/digitalsourcetype/empty`).
    pub declared: Option<String>,
    pub origin: Origin,
    /// Metadata that was there but could not be read, or that disagrees with itself. For the
    /// newsroom, never for readers.
    pub warnings: Vec<String>,
}

/// Which metadata the finding comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// The active C2PA manifest.
    C2pa {
        /// Common name of the signing certificate's subject.
        signer: Option<String>,
        /// Organisation of the signing certificate's subject.
        organization: Option<String>,
        /// Signature and hashes check out: the file is what the signer signed.
        valid: bool,
        /// Valid, and the signer chains to a trust anchor the reader knows. Dateline configures
        /// none yet, so this is false for every signer today.
        trusted: bool,
        /// C2PA validation failure codes, e.g. `signingCredential.untrusted`.
        failures: Vec<String>,
    },
    /// The XMP packet, which anyone can write and nothing signs.
    Xmp,
    /// The file declares nothing.
    None,
}

impl Provenance {
    /// No declaration, nothing wrong.
    pub fn none() -> Self {
        Provenance {
            source_type: None,
            declared: None,
            origin: Origin::None,
            warnings: Vec::new(),
        }
    }

    /// The sentence the newsroom shows next to the pre-filled value, e.g. "from C2PA manifest,
    /// signed by Example Camera (Example News); signature intact, signer not on a trust list" or
    /// "from XMP".
    pub fn explanation(&self) -> String {
        match &self.origin {
            Origin::C2pa {
                signer,
                organization,
                valid,
                trusted,
                ..
            } => {
                let who = match (signer, organization) {
                    (Some(name), Some(org)) if name != org => format!("{name} ({org})"),
                    (Some(name), _) | (None, Some(name)) => name.clone(),
                    (None, None) => "an unnamed certificate".to_owned(),
                };
                let verdict = match (valid, trusted) {
                    (true, true) => "signature valid and trusted",
                    (true, false) => "signature intact, signer not on a trust list",
                    (false, _) => "the signature did not validate",
                };
                if self.declared.is_some() {
                    format!("from C2PA manifest, signed by {who}; {verdict}")
                } else {
                    format!("C2PA manifest signed by {who} declares no source type; {verdict}")
                }
            }
            Origin::Xmp => "from XMP".to_owned(),
            Origin::None => "not declared in the file".to_owned(),
        }
    }
}

/// Reads the digital source type from an image's own metadata. Never fails: whatever cannot be
/// read becomes a warning and the finding falls back to the next source, then to none.
pub fn read_provenance(bytes: &[u8], format: ImageFormat) -> Provenance {
    let mut warnings = Vec::new();
    let manifest = manifest::read(bytes, format).unwrap_or_else(|warning| {
        warnings.push(warning);
        None
    });
    let xmp_value = match containers::find_xmp(bytes, format) {
        Ok(Some(packet)) => xmp::digital_source_type(&packet).unwrap_or_else(|warning| {
            warnings.push(warning);
            None
        }),
        Ok(None) => None,
        Err(warning) => {
            warnings.push(format!("the XMP could not be looked for: {warning}"));
            None
        }
    };

    let (declared, origin) = match manifest {
        Some(found) => {
            let origin = Origin::C2pa {
                signer: found.common_name,
                organization: found.organization,
                valid: found.valid,
                trusted: found.trusted,
                failures: found.failures,
            };
            match (found.source_type, xmp_value) {
                (Some(signed), xmp) => {
                    if let Some(xmp) = xmp.filter(|xmp| !same_term(xmp, &signed)) {
                        warnings.push(format!(
                            "the XMP says \"{xmp}\" but the signed C2PA manifest says \
                             \"{signed}\"; the manifest is used"
                        ));
                    }
                    (Some(signed), origin)
                }
                (None, Some(xmp)) => {
                    warnings.push(
                        "the C2PA manifest declares no digital source type; the XMP value is used"
                            .to_owned(),
                    );
                    (Some(xmp), Origin::Xmp)
                }
                (None, None) => (None, origin),
            }
        }
        None => match xmp_value {
            Some(xmp) => (Some(xmp), Origin::Xmp),
            None => (None, Origin::None),
        },
    };

    let source_type = declared
        .as_deref()
        .and_then(DigitalSourceType::from_uri_or_code);
    if let (Some(value), None) = (&declared, source_type) {
        warnings.push(format!(
            "the file declares \"{value}\", which is not an IPTC digital source type"
        ));
    }
    Provenance {
        source_type,
        declared,
        origin,
        warnings,
    }
}

fn same_term(a: &str, b: &str) -> bool {
    match (
        DigitalSourceType::from_uri_or_code(a),
        DigitalSourceType::from_uri_or_code(b),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

/// Why a digital source type could not be written into a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbedError {
    #[error("writing XMP into {0:?} files is not supported")]
    Unsupported(ImageFormat),
    #[error("{0}")]
    Malformed(String),
}

/// The image with a minimal XMP packet declaring `source_type`, replacing any XMP packet it had
/// (other metadata is kept). JPEG gets an APP1 segment after SOI and JFIF APP0; WebP becomes an
/// extended file with a VP8X header and an `XMP ` chunk. Only the formats Dateline encodes its
/// variants in are supported.
pub fn embed_source_type(
    bytes: &[u8],
    format: ImageFormat,
    source_type: DigitalSourceType,
) -> Result<Vec<u8>, EmbedError> {
    let packet = xmp::packet(source_type);
    match format {
        ImageFormat::Jpeg => containers::jpeg_with_xmp(bytes, packet.as_bytes()),
        ImageFormat::Webp => containers::webp_with_xmp(bytes, packet.as_bytes()),
        ImageFormat::Png | ImageFormat::Gif => return Err(EmbedError::Unsupported(format)),
    }
    .map_err(EmbedError::Malformed)
}
