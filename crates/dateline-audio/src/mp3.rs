//! MP3 at 48 kb/s mono, the canonical narration file (podcast apps and every browser play it).
//!
//! Encoded by the `lame` program as a separate process: LAME is LGPL, and the permissively licensed
//! Rust MP3 encoders on crates.io are LGPL too (they wrap or port it), so it stays out of the binary
//! as DESIGN asks of GPL-family code. LAME writes a Xing/LAME header with the encoder delay and
//! padding, so players report the real duration.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use crate::{AudioError, PIPELINE_SAMPLE_RATE, wav};

pub const BITRATE_KBPS: u32 = 48;

/// ID3 tags written into the file, for podcast apps and downloads.
#[derive(Debug, Clone, Default)]
pub struct Mp3Tags {
    pub title: Option<String>,
    pub artist: Option<String>,
}

/// Encodes mono samples at [`PIPELINE_SAMPLE_RATE`].
pub fn encode(samples: &[f32], tags: &Mp3Tags) -> Result<Vec<u8>, AudioError> {
    encode_with("lame", samples, tags)
}

pub fn encode_with(program: &str, samples: &[f32], tags: &Mp3Tags) -> Result<Vec<u8>, AudioError> {
    let khz = format!("{}", f64::from(PIPELINE_SAMPLE_RATE) / 1000.0);
    let mut command = Command::new(program);
    command
        .args([
            "-r",
            "-s",
            &khz,
            "--bitwidth",
            "16",
            "--signed",
            "--little-endian",
        ])
        .args([
            "-m",
            "m",
            "--cbr",
            "-b",
            &BITRATE_KBPS.to_string(),
            "-q",
            "2",
        ])
        .args(["--quiet", "--noreplaygain"]);
    if let Some(title) = &tags.title {
        command.args(["--add-id3v2", "--tt", title]);
    }
    if let Some(artist) = &tags.artist {
        command.args(["--add-id3v2", "--ta", artist]);
    }
    let mut child = command
        .args(["-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| AudioError::Encoding(format!("{program}: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| AudioError::Encoding("no stdin".into()))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| AudioError::Encoding("no stdout".into()))?;
    let pcm: Vec<u8> = samples
        .iter()
        .flat_map(|s| wav::to_i16(*s).to_le_bytes())
        .collect();
    let (written, read) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(&pcm));
        let mut bytes = Vec::new();
        let read = stdout.read_to_end(&mut bytes).map(|_| bytes);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("writer panicked")));
        (written, read)
    });
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err(AudioError::Encoding(format!(
            "lame exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    written?;
    Ok(read?)
}
