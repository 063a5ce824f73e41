//! Where a picture came from: the IPTC NewsCodes "Digital Source Type" vocabulary.
//!
//! The vocabulary lives at <https://cv.iptc.org/newscodes/digitalsourcetype/> (IPTC, CC BY 4.0);
//! this list follows the release of 2024-10-23, which has 20 concepts, three of them retired. The
//! same URIs are what IPTC Photo Metadata (`Iptc4xmpExt:DigitalSourceType` in XMP), C2PA actions
//! (`digitalSourceType`) and schema.org `digitalSourceType` carry, so one type serves the
//! newsroom picker, the reader label, JSON-LD and file metadata.
//!
//! Retired concepts stay parseable because files in the wild still carry them; IPTC keeps their
//! URIs resolvable for the same reason. The newsroom picker should offer only current ones.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The scheme URI. IPTC writes concept URIs with `http`; that spelling is canonical even though
/// the server also answers on `https`.
const SCHEME: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/";
const SCHEME_HTTPS: &str = "https://cv.iptc.org/newscodes/digitalsourcetype/";

/// The QCode prefix NewsML-G2 uses for this scheme (`digsrctype:trainedAlgorithmicMedia`).
const QCODE_ALIAS: &str = "digsrctype:";

/// How a picture (or other media) was made, as one term of the IPTC Digital Source Type
/// vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DigitalSourceType {
    /// `digitalCapture`: a digital camera or recorder sampled a real scene.
    DigitalCapture,
    /// `computationalCapture`: several frames of a real scene merged by the device (HDR,
    /// night modes), without generative AI.
    ComputationalCapture,
    /// `negativeFilm`: scanned from a negative or other transparent medium.
    NegativeFilm,
    /// `positiveFilm`: scanned from a slide or other transparent positive.
    PositiveFilm,
    /// `print`: scanned from a print or other opaque medium.
    Print,
    /// `minorHumanEdits` (retired 2024-09-17, replaced by `humanEdits`).
    MinorHumanEdits,
    /// `humanEdits`: changed by people using non-generative tools.
    HumanEdits,
    /// `compositeWithTrainedAlgorithmicMedia`: an existing picture edited with generative AI
    /// (inpainting, outpainting).
    CompositeWithTrainedAlgorithmicMedia,
    /// `algorithmicallyEnhanced`: corrected by an algorithm without changing what it shows
    /// (sharpening, noise reduction).
    AlgorithmicallyEnhanced,
    /// `softwareImage` (retired 2022-06-14, split into the more specific terms).
    SoftwareImage,
    /// `digitalArt` (retired 2024-09-17, replaced by `digitalCreation`).
    DigitalArt,
    /// `digitalCreation`: made by a person with non-generative digital tools.
    DigitalCreation,
    /// `dataDrivenMedia`: a representation of data (charts, maps, generated weather graphics).
    DataDrivenMedia,
    /// `trainedAlgorithmicMedia`: made by a generative AI model.
    TrainedAlgorithmicMedia,
    /// `algorithmicMedia`: made by an algorithm with no training data (procedural, fractal).
    AlgorithmicMedia,
    /// `screenCapture`: what a computer or phone screen showed.
    ScreenCapture,
    /// `virtualRecording`: recorded in a virtual event, possibly with generative elements.
    VirtualRecording,
    /// `composite`: several elements combined; whether any is generative AI is not stated.
    Composite,
    /// `compositeCapture`: several elements combined, all of them captures of real life.
    CompositeCapture,
    /// `compositeSynthetic`: several elements combined, at least one made by generative AI.
    CompositeSynthetic,
}

impl DigitalSourceType {
    /// Every term, in the order IPTC lists them, retired ones included.
    pub const ALL: &[DigitalSourceType] = &[
        Self::DigitalCapture,
        Self::ComputationalCapture,
        Self::NegativeFilm,
        Self::PositiveFilm,
        Self::Print,
        Self::MinorHumanEdits,
        Self::HumanEdits,
        Self::CompositeWithTrainedAlgorithmicMedia,
        Self::AlgorithmicallyEnhanced,
        Self::SoftwareImage,
        Self::DigitalArt,
        Self::DigitalCreation,
        Self::DataDrivenMedia,
        Self::TrainedAlgorithmicMedia,
        Self::AlgorithmicMedia,
        Self::ScreenCapture,
        Self::VirtualRecording,
        Self::Composite,
        Self::CompositeCapture,
        Self::CompositeSynthetic,
    ];

    /// The IPTC code, e.g. `trainedAlgorithmicMedia`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::DigitalCapture => "digitalCapture",
            Self::ComputationalCapture => "computationalCapture",
            Self::NegativeFilm => "negativeFilm",
            Self::PositiveFilm => "positiveFilm",
            Self::Print => "print",
            Self::MinorHumanEdits => "minorHumanEdits",
            Self::HumanEdits => "humanEdits",
            Self::CompositeWithTrainedAlgorithmicMedia => "compositeWithTrainedAlgorithmicMedia",
            Self::AlgorithmicallyEnhanced => "algorithmicallyEnhanced",
            Self::SoftwareImage => "softwareImage",
            Self::DigitalArt => "digitalArt",
            Self::DigitalCreation => "digitalCreation",
            Self::DataDrivenMedia => "dataDrivenMedia",
            Self::TrainedAlgorithmicMedia => "trainedAlgorithmicMedia",
            Self::AlgorithmicMedia => "algorithmicMedia",
            Self::ScreenCapture => "screenCapture",
            Self::VirtualRecording => "virtualRecording",
            Self::Composite => "composite",
            Self::CompositeCapture => "compositeCapture",
            Self::CompositeSynthetic => "compositeSynthetic",
        }
    }

    /// The full concept URI, e.g.
    /// `http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia`: the value
    /// schema.org `digitalSourceType`, XMP and C2PA expect.
    pub fn uri(&self) -> &'static str {
        // Spelled out rather than formatted so callers get a `&'static str` without allocating.
        match self {
            Self::DigitalCapture => "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
            Self::ComputationalCapture => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/computationalCapture"
            }
            Self::NegativeFilm => "http://cv.iptc.org/newscodes/digitalsourcetype/negativeFilm",
            Self::PositiveFilm => "http://cv.iptc.org/newscodes/digitalsourcetype/positiveFilm",
            Self::Print => "http://cv.iptc.org/newscodes/digitalsourcetype/print",
            Self::MinorHumanEdits => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/minorHumanEdits"
            }
            Self::HumanEdits => "http://cv.iptc.org/newscodes/digitalsourcetype/humanEdits",
            Self::CompositeWithTrainedAlgorithmicMedia => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
            }
            Self::AlgorithmicallyEnhanced => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicallyEnhanced"
            }
            Self::SoftwareImage => "http://cv.iptc.org/newscodes/digitalsourcetype/softwareImage",
            Self::DigitalArt => "http://cv.iptc.org/newscodes/digitalsourcetype/digitalArt",
            Self::DigitalCreation => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"
            }
            Self::DataDrivenMedia => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/dataDrivenMedia"
            }
            Self::TrainedAlgorithmicMedia => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
            }
            Self::AlgorithmicMedia => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
            }
            Self::ScreenCapture => "http://cv.iptc.org/newscodes/digitalsourcetype/screenCapture",
            Self::VirtualRecording => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/virtualRecording"
            }
            Self::Composite => "http://cv.iptc.org/newscodes/digitalsourcetype/composite",
            Self::CompositeCapture => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/compositeCapture"
            }
            Self::CompositeSynthetic => {
                "http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic"
            }
        }
    }

    /// Reads a term from what files, forms and feeds actually contain: the full URI (`http` or
    /// `https`, with or without a trailing slash), a NewsML-G2 QCode (`digsrctype:print`) or the
    /// bare code. Surrounding whitespace and ASCII case are ignored: no two IPTC codes differ
    /// only in case, and some tools write `https://` or change case on export.
    pub fn from_uri_or_code(input: &str) -> Option<Self> {
        let input = input.trim();
        let code = strip_prefix_ignore_case(input, SCHEME)
            .or_else(|| strip_prefix_ignore_case(input, SCHEME_HTTPS))
            .or_else(|| strip_prefix_ignore_case(input, QCODE_ALIAS))
            .unwrap_or(input);
        let code = code.strip_suffix('/').unwrap_or(code);
        Self::ALL
            .iter()
            .copied()
            .find(|term| term.code().eq_ignore_ascii_case(code))
    }

    /// Whether IPTC has retired the term. Retired terms are still understood when read from a
    /// file, but new images should get a current one.
    pub fn is_retired(&self) -> bool {
        matches!(
            self,
            Self::MinorHumanEdits | Self::SoftwareImage | Self::DigitalArt
        )
    }

    /// Whether the term says generative AI made some or all of the picture. This is what
    /// disclosure rules such as the EU AI Act, Article 50, care about.
    pub fn involves_generative_ai(&self) -> bool {
        matches!(
            self,
            Self::TrainedAlgorithmicMedia
                | Self::CompositeWithTrainedAlgorithmicMedia
                | Self::CompositeSynthetic
        )
    }

    /// The short label readers see under the picture, or `None` when no label is needed.
    ///
    /// The rule: a label appears whenever the picture is not a plain record of a real scene, so
    /// that nobody takes an illustration, composite or edit for a photograph. Every term that
    /// involves generative AI says "AI" in its label. Terms that only say how a real photograph
    /// reached us (camera, phone HDR, film or print scan) get no label: they do not change what
    /// the picture shows, and archive context belongs in the caption and credit.
    pub fn reader_label(&self) -> Option<&'static str> {
        match self {
            Self::DigitalCapture
            | Self::ComputationalCapture
            | Self::NegativeFilm
            | Self::PositiveFilm
            | Self::Print => None,
            // Only retouching was declared; saying less than "edited" would hide it.
            Self::MinorHumanEdits => Some("Retouched image"),
            Self::HumanEdits => Some("Edited image"),
            Self::CompositeWithTrainedAlgorithmicMedia => Some("AI-edited image"),
            // Enhancement is meant to leave content alone, but today's denoisers and upscalers
            // can invent fine detail, so readers are told, in a neutral word.
            Self::AlgorithmicallyEnhanced => Some("Enhanced image"),
            // The retired term does not say whether a model was involved; claim no more.
            Self::SoftwareImage | Self::AlgorithmicMedia => Some("Computer-generated image"),
            Self::DigitalArt | Self::DigitalCreation => Some("Digital illustration"),
            Self::DataDrivenMedia => Some("Data visualisation"),
            Self::TrainedAlgorithmicMedia => Some("AI-generated illustration"),
            Self::ScreenCapture => Some("Screenshot"),
            // IPTC allows generative elements here, so "photograph" would overclaim.
            Self::VirtualRecording => Some("Recorded in a virtual event"),
            // The plain composite term leaves AI open; the label states only what is known.
            Self::Composite => Some("Composite image"),
            Self::CompositeCapture => Some("Composite photograph"),
            // IPTC's 2024 definition: at least one element is generative AI.
            Self::CompositeSynthetic => Some("Composite with AI-generated elements"),
        }
    }

    /// A one-line explanation for the newsroom's image picker.
    pub fn description(&self) -> &'static str {
        match self {
            Self::DigitalCapture => {
                "Photo or recording of a real scene, straight from a digital camera."
            }
            Self::ComputationalCapture => {
                "Real scene, several frames merged by the camera or phone (HDR, night mode), no generative AI."
            }
            Self::NegativeFilm => "Scan of a film negative or other transparent original.",
            Self::PositiveFilm => "Scan of a slide or other transparent positive.",
            Self::Print => "Scan of a print or other opaque original.",
            Self::MinorHumanEdits => {
                "Retired IPTC term for light retouching by a person; humanEdits replaces it."
            }
            Self::HumanEdits => {
                "Changed by a person with ordinary editing tools, no generative AI."
            }
            Self::CompositeWithTrainedAlgorithmicMedia => {
                "Real picture changed with generative AI, e.g. parts filled in or extended."
            }
            Self::AlgorithmicallyEnhanced => {
                "Cleaned up by software (sharpening, noise reduction) without changing what it shows."
            }
            Self::SoftwareImage => {
                "Retired IPTC term for anything made by software; pick a more specific term."
            }
            Self::DigitalArt => {
                "Retired IPTC term for art drawn digitally by a person; digitalCreation replaces it."
            }
            Self::DigitalCreation => {
                "Illustration or graphic made by a person with digital tools, no generative AI."
            }
            Self::DataDrivenMedia => "Chart, map or graphic drawn from data.",
            Self::TrainedAlgorithmicMedia => "Made entirely by a generative AI model.",
            Self::AlgorithmicMedia => {
                "Made by a program from rules or formulas, with no AI model trained on pictures."
            }
            Self::ScreenCapture => "What a computer or phone screen showed.",
            Self::VirtualRecording => {
                "Captured inside a virtual event or world; may include AI-generated parts."
            }
            Self::Composite => {
                "Combined from several pictures; not stated whether any part is AI-generated."
            }
            Self::CompositeCapture => {
                "Combined from several real photographs, e.g. a stitched panorama."
            }
            Self::CompositeSynthetic => {
                "Combined from several pictures, at least one made by generative AI."
            }
        }
    }
}

fn strip_prefix_ignore_case<'a>(input: &'a str, prefix: &str) -> Option<&'a str> {
    let head = input.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &input[prefix.len()..])
}

impl fmt::Display for DigitalSourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A value that is not a term of the Digital Source Type vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an IPTC digital source type")]
pub struct UnknownDigitalSourceType(pub String);

impl FromStr for DigitalSourceType {
    type Err = UnknownDigitalSourceType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_uri_or_code(s).ok_or_else(|| UnknownDigitalSourceType(s.to_owned()))
    }
}

// Stored and sent as the bare code: short in the database and forms; `uri()` is for output
// that must carry the full URI (JSON-LD, XMP).
impl Serialize for DigitalSourceType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for DigitalSourceType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::DigitalSourceType as D;
    use super::*;

    #[test]
    fn every_term_has_the_expected_reader_label() {
        // One row per term: a new variant without a row fails the length check below.
        let expected: &[(D, Option<&str>)] = &[
            (D::DigitalCapture, None),
            (D::ComputationalCapture, None),
            (D::NegativeFilm, None),
            (D::PositiveFilm, None),
            (D::Print, None),
            (D::MinorHumanEdits, Some("Retouched image")),
            (D::HumanEdits, Some("Edited image")),
            (
                D::CompositeWithTrainedAlgorithmicMedia,
                Some("AI-edited image"),
            ),
            (D::AlgorithmicallyEnhanced, Some("Enhanced image")),
            (D::SoftwareImage, Some("Computer-generated image")),
            (D::DigitalArt, Some("Digital illustration")),
            (D::DigitalCreation, Some("Digital illustration")),
            (D::DataDrivenMedia, Some("Data visualisation")),
            (
                D::TrainedAlgorithmicMedia,
                Some("AI-generated illustration"),
            ),
            (D::AlgorithmicMedia, Some("Computer-generated image")),
            (D::ScreenCapture, Some("Screenshot")),
            (D::VirtualRecording, Some("Recorded in a virtual event")),
            (D::Composite, Some("Composite image")),
            (D::CompositeCapture, Some("Composite photograph")),
            (
                D::CompositeSynthetic,
                Some("Composite with AI-generated elements"),
            ),
        ];
        assert_eq!(expected.len(), D::ALL.len());
        for term in D::ALL {
            let row = expected.iter().find(|(t, _)| t == term);
            let (_, label) = row.unwrap_or_else(|| panic!("no expected label for {term}"));
            assert_eq!(term.reader_label(), *label, "{term}");
        }
    }

    #[test]
    fn generative_ai_is_always_named_in_the_label() {
        for term in D::ALL {
            let label = term.reader_label().unwrap_or_default();
            assert_eq!(
                term.involves_generative_ai(),
                label.contains("AI"),
                "{term}: {label:?}"
            );
        }
    }

    #[test]
    fn vocabulary_has_twenty_distinct_terms_and_three_retired() {
        let mut codes: Vec<&str> = D::ALL.iter().map(D::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 20);
        let retired: Vec<&str> = D::ALL
            .iter()
            .filter(|t| t.is_retired())
            .map(D::code)
            .collect();
        assert_eq!(retired, ["minorHumanEdits", "softwareImage", "digitalArt"]);
    }

    #[test]
    fn uri_is_scheme_plus_code_and_round_trips() {
        for term in D::ALL {
            assert_eq!(term.uri(), format!("{SCHEME}{}", term.code()));
            assert_eq!(D::from_uri_or_code(term.uri()), Some(*term));
            assert_eq!(D::from_uri_or_code(term.code()), Some(*term));
            assert_eq!(term.to_string(), term.code());
            assert!(!term.description().is_empty());
        }
    }

    #[test]
    fn parses_the_spellings_found_in_the_wild() {
        let ai = Some(D::TrainedAlgorithmicMedia);
        for input in [
            "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
            "https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
            "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia/",
            "https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia/",
            "HTTPS://CV.IPTC.ORG/newscodes/digitalsourcetype/trainedalgorithmicmedia",
            "  trainedAlgorithmicMedia\n",
            "digsrctype:trainedAlgorithmicMedia",
        ] {
            assert_eq!(D::from_uri_or_code(input), ai, "{input:?}");
        }
        // `composite` is a prefix of three other codes: matching must be whole-code only.
        assert_eq!(D::from_uri_or_code("composite"), Some(D::Composite));
        assert_eq!(
            D::from_uri_or_code("compositeCapture"),
            Some(D::CompositeCapture)
        );
    }

    #[test]
    fn rejects_what_is_not_a_term() {
        for input in [
            "",
            "/",
            "http://cv.iptc.org/newscodes/digitalsourcetype/",
            "http://cv.iptc.org/newscodes/digitalsourcetype/aiGenerated",
            "http://example.com/digitalsourcetype/trainedAlgorithmicMedia",
            "http://c2pa.org/digitalsourcetype/empty",
            "trainedAlgorithmicMediaX",
            "digital capture",
        ] {
            assert_eq!(D::from_uri_or_code(input), None, "{input:?}");
        }
        let err = "photo".parse::<D>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"photo\" is not an IPTC digital source type"
        );
    }

    #[test]
    fn serde_writes_the_code_and_reads_code_or_uri() {
        let json = serde_json::to_string(&D::CompositeWithTrainedAlgorithmicMedia).unwrap();
        assert_eq!(json, "\"compositeWithTrainedAlgorithmicMedia\"");
        let back: D = serde_json::from_str(&json).unwrap();
        assert_eq!(back, D::CompositeWithTrainedAlgorithmicMedia);
        let from_uri: D = serde_json::from_str(
            "\"http://cv.iptc.org/newscodes/digitalsourcetype/screenCapture\"",
        )
        .unwrap();
        assert_eq!(from_uri, D::ScreenCapture);
        assert!(serde_json::from_str::<D>("\"selfie\"").is_err());
        assert!(serde_json::from_str::<D>("3").is_err());
    }
}
