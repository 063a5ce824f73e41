//! Kokoro-82M, the neural narrator: an int8 ONNX model run by ONNX Runtime (loaded at run time
//! from the library `dateline voices install` unpacks), misaki G2P for English text, and the
//! `espeak-ng` command for words misaki does not know (a separate process: no GPL code is linked).
//!
//! The surface is small on purpose: [`installed_assets`] / [`install_assets`] for the files,
//! [`KokoroVoice`] to speak one sentence at a time, [`voices`] to offer a choice.

mod assets;
mod engine;
mod g2p;
mod voice;

use std::path::Path;

/// The accent a voice speaks: its G2P dialect, and the reading conventions to prepare its text in
/// (`spoken_paragraphs_in(&source, voice.dialect())`).
pub use dateline_core::narration::SpokenEnglish;

pub use assets::{InstallProgress, KokoroAssets, install_assets, installed_assets, verify};
pub use voice::KokoroVoice;

/// A voice's style table: one 256-wide row per input length of 0..510 phoneme tokens.
pub(crate) const STYLE_ROWS: usize = 510;
pub(crate) const STYLE_WIDTH: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum KokoroError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("voice install: {0}")]
    Install(String),
    #[error("{file}: sha256 {actual}, expected {expected}")]
    Checksum {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("no voice named {0:?} (see `dateline voices list`)")]
    UnknownVoice(String),
    #[error("ONNX Runtime: {0}")]
    Runtime(String),
    #[error("phonemes: {0}")]
    Phonemes(String),
}

impl KokoroError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Gender {
    Female,
    Male,
}

/// One voice a newsroom can choose.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VoiceInfo {
    /// What `KokoroVoice::load` takes: `af_heart`, `bf_emma`, …
    pub id: &'static str,
    pub display_name: &'static str,
    pub dialect: SpokenEnglish,
    pub gender: Gender,
}

/// The English voices of an install. Kokoro's ids say accent and gender in their first two
/// letters: `a`/`b` American/British, `f`/`m` female/male.
pub fn voices(_assets: &KokoroAssets) -> Vec<VoiceInfo> {
    assets::ENGLISH_VOICES
        .iter()
        .filter_map(|(id, name, _)| voice_info(id, name))
        .collect()
}

pub(crate) fn voice_info(id: &'static str, display_name: &'static str) -> Option<VoiceInfo> {
    let mut code = id.chars();
    let dialect = match code.next()? {
        'a' => SpokenEnglish::American,
        'b' => SpokenEnglish::British,
        _ => return None,
    };
    let gender = match code.next()? {
        'f' => Gender::Female,
        'm' => Gender::Male,
        _ => return None,
    };
    Some(VoiceInfo {
        id,
        display_name,
        dialect,
        gender,
    })
}

#[doc(hidden)]
/// For tests: the assets `.ci/run` installed (DATELINE_TEST_VOICE_ASSETS names their data folder),
/// or `None` (with a loud note) on a developer machine without them. Under
/// CI a missing install fails: the neural voice must be tested there, never skipped quietly.
pub fn test_assets() -> Option<KokoroAssets> {
    let Some(dir) = std::env::var_os("DATELINE_TEST_VOICE_ASSETS").map(std::path::PathBuf::from)
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "DATELINE_TEST_VOICE_ASSETS is not set under CI: .ci/run must install the voice assets \
             (dateline voices install --data-dir /var/cache/dateline) and export it"
        );
        eprintln!(
            "\n!!! SKIPPED: DATELINE_TEST_VOICE_ASSETS is not set, so no real Kokoro synthesis ran.\n\
             !!! Run `dateline voices install --data-dir DIR` and set DATELINE_TEST_VOICE_ASSETS=DIR.\n"
        );
        return None;
    };
    let assets = installed_assets(&dir);
    assert!(
        assets.is_some(),
        "DATELINE_TEST_VOICE_ASSETS={} holds no complete install (run `dateline voices install --data-dir {}`)",
        dir.display(),
        dir.display()
    );
    assets
}
