//! `dateline import wordpress|ghost|disqus`: reads the export, shows progress, writes the
//! report. The reading is `dateline_import`'s, the writing `dateline_usecases::import`'s.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use dateline_db::Store;
use dateline_import::Plan;
use dateline_storage::MediaStore;
use dateline_usecases::import::{self, ImportReport};
use dateline_usecases::{Actor, Context};

use crate::config::Overrides;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// A WordPress export (Tools → Export, WXR)
    Wordpress {
        #[command(flatten)]
        common: Common,
        /// The export file
        export: PathBuf,
        /// A copy of wp-content/uploads, where the pictures are
        #[arg(long, value_name = "DIR")]
        uploads: Option<PathBuf>,
        /// The old site's time zone (e.g. Europe/Madrid) for drafts, which WordPress dates in
        /// local time only; without it the offset of the published posts is used
        #[arg(long, value_name = "ZONE")]
        time_zone: Option<String>,
    },
    /// A Ghost export (Settings → Labs → Export, JSON), Ghost 2 to 6
    Ghost {
        #[command(flatten)]
        common: Common,
        export: PathBuf,
        /// A copy of content/images
        #[arg(long, value_name = "DIR")]
        content: Option<PathBuf>,
    },
    /// A Disqus comment export (XML), added to the articles it belongs to by address
    Disqus {
        #[command(flatten)]
        common: Common,
        export: PathBuf,
    },
    /// Dateline's own export (`dateline export --to DIR`), into an empty site: every file is
    /// checked against the manifest first, then everything is loaded in one transaction, ids
    /// kept (docs/export-format.md)
    Dateline {
        #[command(flatten)]
        overrides: Overrides,
        /// The export folder
        folder: PathBuf,
        /// Only check the folder against its manifest; write nothing
        #[arg(long)]
        verify_only: bool,
    },
}

#[derive(Args)]
pub struct Common {
    #[command(flatten)]
    overrides: Overrides,
    /// Print what would happen, with counts by kind, and write nothing (the report still)
    #[arg(long)]
    dry_run: bool,
    /// Where to write the report: every item with its new address or why it was skipped
    #[arg(long, value_name = "FILE", default_value = "import-report.json")]
    report: PathBuf,
}

impl ImportCommand {
    fn common(&self) -> Option<&Common> {
        match self {
            Self::Wordpress { common, .. }
            | Self::Ghost { common, .. }
            | Self::Disqus { common, .. } => Some(common),
            Self::Dateline { .. } => None,
        }
    }

    pub fn overrides(&self) -> &Overrides {
        match self {
            Self::Wordpress { common, .. }
            | Self::Ghost { common, .. }
            | Self::Disqus { common, .. } => &common.overrides,
            Self::Dateline { overrides, .. } => overrides,
        }
    }
}

pub async fn run(command: ImportCommand, store: Store, media: MediaStore) -> anyhow::Result<()> {
    if let ImportCommand::Dateline {
        folder,
        verify_only,
        ..
    } = &command
    {
        return from_dateline_export(store, media, folder, *verify_only).await;
    }
    let plan = tokio::task::block_in_place(|| read(&command))?;
    let common = command.common().context("the import's options")?;
    let ctx = Context::new(store, media);
    let report = if common.dry_run {
        import::preview(&ctx, &plan).await?
    } else {
        let bar = indicatif::ProgressBar::new(import::item_count(&plan) as u64).with_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} importing [{bar:40}] {pos}/{len} items ({per_sec}, {eta} left)",
            )
            .context("progress bar template")?
            .progress_chars("=> "),
        );
        let report = import::run(
            &ctx,
            &Actor::system("import"),
            &plan,
            jiff::Timestamp::now(),
            |done, _| bar.set_position(done as u64),
        )
        .await?;
        bar.finish_and_clear();
        report
    };
    write_report(&common.report, &report)?;
    print_counts(&report);
    println!("Report: {}", common.report.display());
    Ok(())
}

/// `dateline import dateline DIR`: verify, then load into the empty site.
async fn from_dateline_export(
    store: Store,
    media: MediaStore,
    folder: &Path,
    verify_only: bool,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if verify_only {
        let manifest = tokio::task::block_in_place(|| dateline_export::verify(folder))?;
        println!(
            "{} matches its manifest: {} files, {} rows, exported {} from Dateline {}.",
            folder.display(),
            manifest.files.len(),
            manifest.tables.values().sum::<u64>(),
            manifest.exported_at,
            manifest.dateline_version
        );
        return Ok(());
    }
    let ctx = Context::new(store, media);
    let report = dateline_export::import(&ctx, &Actor::system("import"), folder, |table, rows| {
        println!("{table:<22} {rows:>9}");
    })
    .await
    .with_context(|| format!("importing {}", folder.display()))?;
    println!(
        "Imported {} rows and {} media files from the export of {} in {:.1} s. Staff have no \
         passwords: give each a link with `dateline user set-password-link --email …`.",
        report.rows.values().sum::<u64>(),
        report.objects,
        report.manifest.exported_at,
        started.elapsed().as_secs_f64()
    );
    if !report.manifest.audio {
        println!("The export has no narration audio: the narration worker makes it again.");
    }
    Ok(())
}

fn read(command: &ImportCommand) -> anyhow::Result<Plan> {
    let open = |path: &Path| {
        std::fs::File::open(path)
            .map(BufReader::new)
            .with_context(|| format!("opening {}", path.display()))
    };
    let (mut plan, pictures) = match command {
        ImportCommand::Wordpress {
            export,
            uploads,
            time_zone,
            ..
        } => {
            let time_zone = time_zone
                .as_deref()
                .map(jiff::tz::TimeZone::get)
                .transpose()
                .context("--time-zone is not a time zone name (e.g. Europe/Madrid)")?;
            let options = dateline_import::Options { time_zone };
            let plan = dateline_import::wordpress::read(open(export)?, &options)
                .with_context(|| format!("reading {}", export.display()))?;
            (plan, uploads)
        }
        ImportCommand::Ghost {
            export, content, ..
        } => {
            let plan = dateline_import::ghost::read(open(export)?)
                .with_context(|| format!("reading {}", export.display()))?;
            (plan, content)
        }
        ImportCommand::Disqus { export, .. } => {
            let plan = dateline_import::disqus::read(open(export)?)
                .with_context(|| format!("reading {}", export.display()))?;
            (plan, &None)
        }
        ImportCommand::Dateline { .. } => {
            anyhow::bail!("a Dateline export is not read into an import plan")
        }
    };
    if let Some(folder) = pictures {
        plan.check_image_files(folder);
    }
    Ok(plan)
}

fn write_report(path: &Path, report: &ImportReport) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("creating the report {}", path.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, report).context("writing the report")?;
    std::io::Write::flush(&mut writer).context("writing the report")?;
    Ok(())
}

fn print_counts(report: &ImportReport) {
    if report.dry_run {
        println!("Dry run: nothing was written.");
        println!(
            "{:<10} {:>8} {:>8} {:>8}",
            "kind", "create", "update", "skip"
        );
        for (kind, counts) in &report.counts {
            println!(
                "{kind:<10} {:>8} {:>8} {:>8}",
                counts.created, counts.updated, counts.skipped
            );
        }
    } else {
        println!(
            "{:<10} {:>8} {:>8} {:>9} {:>8}",
            "kind", "created", "updated", "unchanged", "skipped"
        );
        for (kind, counts) in &report.counts {
            println!(
                "{kind:<10} {:>8} {:>8} {:>9} {:>8}",
                counts.created, counts.updated, counts.unchanged, counts.skipped
            );
        }
    }
    if !report.warnings.is_empty() {
        println!("{} warnings (see the report).", report.warnings.len());
    }
}
