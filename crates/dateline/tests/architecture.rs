//! The crate graph is the one ARCHITECTURE.md draws: every `dateline-*` dependency of a crate is
//! an arrow the table there allows, every crate of the workspace has a row, the domain crate does
//! no IO, and neither it nor the store reads the clock. A new arrow is a decision: make it in
//! ARCHITECTURE.md first, with its reason.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/dateline sits two folders below the workspace root")
        .to_path_buf()
}

/// Crate name → the crates it may depend on, from the table in ARCHITECTURE.md. Short names
/// (`core`) stand for `dateline-core`.
fn allowed_arrows(architecture: &str) -> BTreeMap<String, BTreeSet<String>> {
    let code = |cell: &str| cell.trim().trim_matches('`').to_owned();
    let mut rows = BTreeMap::new();
    for line in architecture.lines() {
        let cells: Vec<&str> = line.split('|').collect();
        // | `crate` | allowed | job |  →  ["", crate, allowed, job, ""]
        if cells.len() < 5 || !cells[1].trim().starts_with("`dateline") {
            continue;
        }
        let allowed = cells[2]
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| format!("dateline-{name}"))
            .collect();
        rows.insert(code(cells[1]), allowed);
    }
    rows
}

/// Crate name → its normal (not dev) dependencies on other workspace crates.
fn actual_arrows(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut arrows = BTreeMap::new();
    for entry in fs::read_dir(root.join("crates")).expect("crates/") {
        let manifest_path = entry.expect("entry").path().join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest_path) else {
            continue;
        };
        let manifest: toml::Table = text.parse().expect("a manifest parses");
        let name = manifest["package"]["name"]
            .as_str()
            .expect("package.name")
            .to_owned();
        let dependencies = manifest
            .get("dependencies")
            .and_then(toml::Value::as_table)
            .map(|table| {
                table
                    .keys()
                    .filter(|dependency| dependency.starts_with("dateline"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        arrows.insert(name, dependencies);
    }
    arrows
}

#[test]
fn every_arrow_between_crates_is_one_architecture_md_allows() {
    let root = workspace_root();
    let architecture =
        fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md at the root");
    let allowed = allowed_arrows(&architecture);
    assert!(
        allowed.len() >= 10,
        "the crate table of ARCHITECTURE.md was not found: {allowed:?}"
    );
    let actual = actual_arrows(&root);
    let mut problems = Vec::new();
    for (name, dependencies) in &actual {
        let Some(may) = allowed.get(name) else {
            problems.push(format!("{name} has no row in ARCHITECTURE.md"));
            continue;
        };
        for dependency in dependencies.difference(may) {
            problems.push(format!(
                "{name} → {dependency} is not an arrow ARCHITECTURE.md allows"
            ));
        }
    }
    for name in allowed.keys().filter(|name| !actual.contains_key(*name)) {
        problems.push(format!(
            "ARCHITECTURE.md lists {name}, which is not a crate"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_domain_crate_does_no_io_and_reads_no_clock() {
    let root = workspace_root();
    let manifest: toml::Table = fs::read_to_string(root.join("crates/dateline-core/Cargo.toml"))
        .expect("core's manifest")
        .parse()
        .expect("parses");
    let dependencies = manifest["dependencies"].as_table().expect("dependencies");
    for io in ["tokio", "sqlx", "object_store", "reqwest", "hyper", "axum"] {
        assert!(
            !dependencies.contains_key(io),
            "dateline-core depends on {io}"
        );
    }
    let mut offenders = Vec::new();
    for (path, code) in code_above_tests(&root.join("crates/dateline-core/src")) {
        for io in [
            "Timestamp::now(",
            "SystemTime::now(",
            "Instant::now(",
            "std::fs",
            "std::net",
            "std::process",
        ] {
            if code.contains(io) {
                offenders.push(format!("{}: {io}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

/// Issue 13: the store writes and reads by the time its caller passes (`now`), so a use case
/// stamps one moment on everything it writes and tests can put the store anywhere in time. Its
/// test fixtures (`testing.rs`) and unit tests may read the clock.
#[test]
fn the_store_reads_no_clock() {
    let root = workspace_root();
    let mut offenders = Vec::new();
    for (path, code) in code_above_tests(&root.join("crates/dateline-db/src")) {
        if path.file_name().is_some_and(|name| name == "testing.rs") {
            continue;
        }
        for clock in ["Timestamp::now(", "Zoned::now(", "SystemTime::now("] {
            if code.contains(clock) {
                offenders.push(format!("{}: {clock}", path.display()));
            }
        }
        // Nor the database's clock: SQL's own idea of now would differ between nodes and from
        // the `now` the caller stamped on the rest of the change.
        let sql = code.to_lowercase();
        for clock in [
            "current_timestamp",
            "current_date",
            "clock_timestamp(",
            "'now'",
        ] {
            if sql.contains(clock) {
                offenders.push(format!("{}: {clock}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

/// Issue 13: the store is split by area. `Store` itself only opens, migrates and closes the
/// database and hands out its areas (`store.comments()`, `store.tips()`, …); a new query goes
/// into the area it belongs to, so `Store` does not grow back into one object with every method.
#[test]
fn the_store_hands_out_areas_and_holds_no_queries_of_its_own() {
    let root = workspace_root();
    let lifecycle = [
        "open",
        "open_existing",
        "open_postgres",
        "backend_kind",
        "postgres_pool",
        "migrate",
        "close",
        "pool_use",
        "schema_is_current",
        "export_snapshot",
        "begin_export_load",
    ];
    let mut areas = Vec::new();
    let mut offenders = Vec::new();
    for (path, code) in code_above_tests(&root.join("crates/dateline-db/src")) {
        if path.file_name().is_some_and(|name| name == "testing.rs") {
            continue;
        }
        for block in code.split("\nimpl Store {\n").skip(1) {
            let block = block.split("\n}\n").next().unwrap_or("");
            for line in block.lines() {
                let Some(signature) = line
                    .strip_prefix("    pub fn ")
                    .or_else(|| line.strip_prefix("    pub async fn "))
                else {
                    continue;
                };
                let name = signature.split('(').next().unwrap_or("");
                if signature.ends_with("<'_> {") && signature.starts_with(&format!("{name}(&self)"))
                {
                    areas.push(name.to_owned());
                } else if !lifecycle.contains(&name) {
                    offenders.push(format!("{}: Store::{name}", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "these belong in an area of the store (crates/dateline-db/src/areas.rs):\n{}",
        offenders.join("\n")
    );
    // The parse found the areas at all, so an empty list of offenders means something.
    for expected in [
        "articles",
        "people",
        "sessions",
        "comments",
        "tips",
        "narration",
        "jobs",
    ] {
        assert!(
            areas.iter().any(|area| area == expected),
            "no `{expected}()` area among {areas:?}"
        );
    }
}

/// Every Rust file under `folder` with the code above its first `#[cfg(test)]`: tests may read
/// the clock, the code they test may not.
fn code_above_tests(folder: &Path) -> Vec<(PathBuf, String)> {
    let mut sources = vec![folder.to_path_buf()];
    let mut files = Vec::new();
    while let Some(path) = sources.pop() {
        if path.is_dir() {
            sources.extend(
                fs::read_dir(&path)
                    .expect("a source folder")
                    .map(|entry| entry.expect("entry").path()),
            );
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("a source file");
        let code = text.split("#[cfg(test)]").next().unwrap_or("").to_owned();
        files.push((path, code));
    }
    assert!(!files.is_empty(), "no sources under {}", folder.display());
    files
}

/// Issue 13: the demo newsroom is laid down through the use cases, like any other change (a
/// story published at its time, a comment moderated by the demo admin), so it checks what they
/// check and leaves the audit trail they leave. It may read through the store (the sections and
/// authors it spreads bulk over, counts); every `store.<area>().<method>(` it names is one of
/// those reads.
#[test]
fn the_demo_writes_only_through_the_use_cases() {
    const READS: [&str; 4] = ["sections", "authors", "count_stories", "by_id"];
    let root = workspace_root();
    let mut offenders = Vec::new();
    for (path, code) in code_above_tests(&root.join("crates/dateline-demo/src")) {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        for (at, _) in code.match_indices("store.") {
            let rest = &code[at + "store.".len()..];
            let Some((area, rest)) = rest.split_once("().") else {
                continue;
            };
            if !area.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let method: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !READS.contains(&method.as_str()) {
                offenders.push(format!("{}: store.{area}().{method}(", path.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the demo writes through the store instead of a use case:\n{}",
        offenders.join("\n")
    );
}
