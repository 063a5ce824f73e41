//! `cargo run --release -p dateline-import --example import_parse -- generate FILE POSTS COMMENTS`
//! writes a synthetic WXR; `… -- wordpress FILE` reads one into a plan and prints the time it took
//! and the counts by kind (bench/import-parse.sh measures peak memory around it).

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::time::Instant;

use dateline_import::generate::{Size, wxr};
use dateline_import::plan::ItemKind;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", file, posts, comments] => {
            let size = Size {
                posts: posts.parse()?,
                comments: comments.parse()?,
                ..Size::BENCHMARK
            };
            wxr(BufWriter::new(File::create(file)?), size)?;
        }
        ["wordpress", file] => {
            let started = Instant::now();
            let plan = dateline_import::wordpress::read(
                BufReader::with_capacity(256 * 1024, File::open(file)?),
                &dateline_import::Options::default(),
            )?;
            let elapsed = started.elapsed();
            let comments: usize = plan.articles.iter().map(|a| a.comments.len()).sum();
            println!("parse+convert {:.3} s", elapsed.as_secs_f64());
            println!(
                "articles {} pages {} comments {} readers {} images {} redirects {} warnings {}",
                plan.report.planned_count(ItemKind::Article),
                plan.report.planned_count(ItemKind::Page),
                comments,
                plan.readers.len(),
                plan.images.len(),
                plan.redirects.len(),
                plan.report.warnings.len()
            );
        }
        _ => {
            eprintln!("usage: import_parse generate FILE POSTS COMMENTS | wordpress FILE");
            std::process::exit(2);
        }
    }
    Ok(())
}
