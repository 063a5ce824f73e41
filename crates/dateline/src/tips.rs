//! `dateline tips …`: the newsroom's tips keys, and reading tips offline.
//!
//! `keygen` makes an age identity: the file goes to the editor (it is the only way to read tips
//! encrypted to it), the public key is registered so new tips are encrypted to it, and with
//! `--store-passphrase` a copy wrapped with the editor's passphrase (age scrypt) is kept in the
//! database so they can unlock it in the newsroom. `--recovery` registers an offline key instead
//! (kept in a safe; never stored here). `export` decrypts every tip with an identity file into a
//! folder, on a machine that need not run Dateline.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dateline_db::Store;
use dateline_storage::MediaStore;
use dateline_tips::EditorIdentity;
use dateline_usecases::Context as UseCases;
use dateline_usecases::tips::NewKey;

fn actor() -> dateline_usecases::Actor {
    dateline_usecases::Actor::system("command line")
}

pub struct Keygen {
    pub email: Option<String>,
    pub recovery_label: Option<String>,
    pub output: PathBuf,
    pub store_passphrase: bool,
}

/// Writes a secret file readable by its owner only, refusing to replace an existing one (it may
/// be the only copy of another key, or another tip's file).
fn write_secret_file(path: &Path, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    file.write_all(contents.as_ref())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Creates a folder only its owner may enter (and any missing parents the same way), whatever
/// the umask: decrypted tips go in it. A folder that exists already is closed to others too.
fn create_private_folder(path: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(path)
        .with_context(|| format!("creating {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("closing {} to other users", path.display()))?;
    }
    Ok(())
}

pub async fn keygen(ctx: &UseCases, request: Keygen) -> anyhow::Result<()> {
    let (staff_id, label) = match (&request.email, &request.recovery_label) {
        (Some(email), None) => {
            let member = ctx
                .store
                .people()
                .staff_by_email(email)
                .await
                .with_context(|| format!("no staff account has the email {email:?}"))?;
            (Some(member.id), member.display_name)
        }
        (None, Some(label)) => (None, label.clone()),
        _ => bail!("give either --email (an editor's key) or --recovery LABEL (an offline key)"),
    };
    if staff_id.is_none() && request.store_passphrase {
        bail!("a recovery key stays offline: --store-passphrase is for editors' keys");
    }
    let created = jiff::Timestamp::now().to_string();
    let identity = dateline_tips::generate_identity(&label, &created);
    let wrapped_identity = if request.store_passphrase {
        let email = request.email.clone().unwrap_or_default();
        let passphrase = crate::users::read_new_password(&email)?;
        let text = identity.file_text.clone();
        Some(
            tokio::task::spawn_blocking(move || dateline_tips::wrap_identity(&text, &passphrase))
                .await
                .context("wrapping the identity")??,
        )
    } else {
        None
    };
    let key = match staff_id {
        Some(staff_id) => NewKey::Editor {
            staff_id,
            label: None,
            public_key: identity.public_key.clone(),
            wrapped_identity,
        },
        None => NewKey::Recovery {
            label: label.clone(),
            public_key: identity.public_key.clone(),
            wrapped_identity,
        },
    };
    // The file first: a key registered without its identity written anywhere would have tips
    // encrypted to it that nobody can read. A refused key takes its new file with it.
    write_secret_file(&request.output, identity.file_text.as_bytes())?;
    if let Err(error) =
        dateline_usecases::tips::register_key(ctx, &actor(), key, jiff::Timestamp::now()).await
    {
        let _ = std::fs::remove_file(&request.output);
        return Err(anyhow::Error::new(error).context("registering the public key"));
    }
    println!(
        "Registered {} tips key for {label}: {}\nIdentity file: {}\n\
         Keep it safe and private: whoever holds it can read every tip encrypted to this key, \
         and without it (or another recipient's) those tips cannot be read.",
        if staff_id.is_none() {
            "an offline recovery"
        } else {
            "the"
        },
        identity.public_key,
        request.output.display()
    );
    Ok(())
}

/// The demo newsroom's tips key, for the demo admin: the identity file lies in the data folder
/// next to the database, which is exactly what a real newsroom must never do.
pub async fn setup_demo_key(
    ctx: &UseCases,
    data_dir: &Path,
    admin_id: i64,
) -> anyhow::Result<(PathBuf, &'static str)> {
    const DEMO_PASSPHRASE: &str = "demo tips passphrase";
    let path = data_dir.join("demo-tips-identity.txt");
    let identity = dateline_tips::generate_identity("the demo admin", "demo");
    let text = identity.file_text.clone();
    let wrapped =
        tokio::task::spawn_blocking(move || dateline_tips::wrap_identity(&text, DEMO_PASSPHRASE))
            .await
            .context("wrapping the demo identity")??;
    write_secret_file(&path, identity.file_text.as_bytes())?;
    dateline_usecases::tips::register_key(
        ctx,
        &dateline_usecases::Actor::system("demo"),
        NewKey::Editor {
            staff_id: admin_id,
            label: Some("Demo admin (INSECURE demo key)".to_owned()),
            public_key: identity.public_key,
            wrapped_identity: Some(wrapped),
        },
        jiff::Timestamp::now(),
    )
    .await?;
    Ok((path, DEMO_PASSPHRASE))
}

/// Decrypts every tip the identity can read into `out`: one folder per tip with the message,
/// contact, conversation, notes, history and the original attachments.
pub async fn export(
    store: &Store,
    media: &MediaStore,
    identity_file: &Path,
    out: &Path,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(identity_file)
        .with_context(|| format!("reading {}", identity_file.display()))?;
    let identity = EditorIdentity::from_file_text(&text)?;
    let identities = [identity];
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        bail!("{} is not empty; choose a new folder", out.display());
    }
    create_private_folder(out)?;
    let read = |ciphertext: &[u8]| -> Option<String> {
        dateline_tips::decrypt(&identities, ciphertext)
            .ok()
            .map(|plain| String::from_utf8_lossy(&plain).into_owned())
    };
    let tips = store.tips().list(None).await?;
    let (mut exported, mut unreadable) = (0, 0);
    for tip in &tips {
        let Some(message) = read(&tip.message) else {
            unreadable += 1;
            continue;
        };
        let folder = out.join(format!("tip-{}", tip.id));
        create_private_folder(&folder)?;
        let mut about = format!(
            "Tip {}\nReceived: {}\nKind: {}\nStatus: {}{}\n",
            tip.id,
            tip.received_at,
            tip.kind.label(),
            tip.status.label(),
            tip.resolution
                .map(|r| format!(" ({})", r.label()))
                .unwrap_or_default()
        );
        if let Some(article_id) = tip.article_id {
            about.push_str(&format!("Article: {article_id}\n"));
        }
        if let Some(contact) = tip.contact.as_deref().and_then(read) {
            about.push_str(&format!("Contact: {contact}\n"));
        }
        about.push_str(&format!("\n{message}\n"));
        for message in store.tips().messages(tip.id).await? {
            let sender = match message.sender {
                dateline_db::TipSender::Source => "Source",
                dateline_db::TipSender::Newsroom => "Newsroom",
            };
            let text = read(&message.body).unwrap_or_else(|| "(unreadable)".to_owned());
            about.push_str(&format!("\n--- {sender}, {}\n{text}\n", message.sent_at));
        }
        for note in store.tips().notes(tip.id).await? {
            let text = read(&note.body).unwrap_or_else(|| "(unreadable)".to_owned());
            about.push_str(&format!(
                "\n--- Internal note by {}, {}\n{text}\n",
                note.staff_name, note.written_at
            ));
        }
        for event in store.tips().events(tip.id).await? {
            about.push_str(&format!(
                "\n[{}] {}: {}",
                event.at, event.actor_name, event.detail
            ));
        }
        write_secret_file(&folder.join("tip.txt"), about)?;
        for attachment in store.tips().attachments(tip.id).await? {
            let description: serde_json::Value = read(&attachment.description)
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_default();
            let name: String = description["name"]
                .as_str()
                .unwrap_or("attachment")
                .chars()
                .map(|c| {
                    if c == '/' || c == '\\' || c.is_control() {
                        '_'
                    } else {
                        c
                    }
                })
                .collect();
            let Some(ciphertext) = media.get(&attachment.object_key).await? else {
                continue;
            };
            let plain = dateline_tips::decrypt(&identities, &ciphertext)?;
            let file = folder.join(format!("{}-{}", attachment.position + 1, name));
            write_secret_file(&file, plain.as_slice())?;
        }
        exported += 1;
    }
    println!(
        "Exported {exported} tips to {}{}.",
        out.display(),
        if unreadable > 0 {
            format!(" ({unreadable} are encrypted to other keys and were skipped)")
        } else {
            String::new()
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dateline_core::TipKind;
    use dateline_db::NewTip;

    async fn store_in(folder: &Path) -> Store {
        Store::open(&format!("sqlite://{}", folder.join("db.sqlite").display()))
            .await
            .expect("store")
    }

    #[tokio::test]
    async fn a_recovery_key_reads_exported_tips_offline() {
        let folder = tempfile::tempdir().expect("folder");
        let store = store_in(folder.path()).await;
        let media = MediaStore::local(&folder.path().join("media")).expect("media");
        let identity_file = folder.path().join("recovery.txt");
        let ctx = UseCases::new(store.clone(), media.clone());
        keygen(
            &ctx,
            Keygen {
                email: None,
                recovery_label: Some("Office safe".to_owned()),
                output: identity_file.clone(),
                store_passphrase: false,
            },
        )
        .await
        .expect("keygen");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&identity_file)
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o777,
                0o600,
                "only its owner reads the identity file"
            );
        }
        let recipients = store.tips().recipients().await.expect("recipients");
        assert_eq!(recipients.len(), 1);
        assert!(recipients[0].recovery && recipients[0].wrapped_identity.is_none());
        // A second keygen to the same file would destroy the only copy of a key.
        let again = keygen(
            &ctx,
            Keygen {
                email: None,
                recovery_label: Some("Another".to_owned()),
                output: identity_file.clone(),
                store_passphrase: false,
            },
        )
        .await;
        assert!(again.is_err());
        // A key for someone who does not read tips is refused, and its identity file is not
        // left lying around.
        let contributor = store
            .people()
            .create_staff(
                &dateline_db::NewStaff {
                    email: "co@dateline.test".into(),
                    display_name: "Cole Contributor".into(),
                    role: dateline_core::Role::Contributor,
                    password_hash: None,
                    author_id: None,
                },
                jiff::Timestamp::now(),
            )
            .await
            .expect("contributor");
        let refused_file = folder.path().join("contributor.txt");
        let refused = keygen(
            &ctx,
            Keygen {
                email: Some(contributor.email.clone()),
                recovery_label: None,
                output: refused_file.clone(),
                store_passphrase: false,
            },
        )
        .await;
        assert!(
            format!("{:#}", refused.expect_err("refused")).contains("only active editors"),
            "the refusal says why"
        );
        assert!(!refused_file.exists());
        assert_eq!(store.tips().recipients().await.expect("keys").len(), 1);

        let keys =
            dateline_tips::Recipients::parse([recipients[0].public_key.as_str()]).expect("keys");
        let seal = |text: &[u8]| dateline_tips::encrypt(&keys, text).expect("encrypts");
        media
            .put("tips/a.age", bytes_of(seal(b"%PDF-1.4 ledger")))
            .await
            .expect("put");
        store
            .tips()
            .create(
                &NewTip {
                    kind: TipKind::Tip,
                    article_id: None,
                    codename_key: "key".to_owned(),
                    reply_public_key: recipients[0].public_key.clone(),
                    message: seal(b"the ledger is in the basement"),
                    contact: Some(seal(b"ask for Jo")),
                    attachments: vec![dateline_db::NewTipAttachment {
                        object_key: "tips/a.age".to_owned(),
                        description: seal(br#"{"name":"../ledger.pdf","type":"application/pdf"}"#),
                        size: 10,
                    }],
                },
                jiff::Timestamp::now(),
            )
            .await
            .expect("tip");
        let out = folder.path().join("export");
        export(&store, &media, &identity_file, &out)
            .await
            .expect("export");
        // Decrypted tips are for the exporting user alone, whatever the umask says.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| {
                std::fs::metadata(path)
                    .expect("exported")
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode(&out), 0o700);
            assert_eq!(mode(&out.join("tip-1")), 0o700);
            assert_eq!(mode(&out.join("tip-1/tip.txt")), 0o600);
            assert_eq!(mode(&out.join("tip-1/1-.._ledger.pdf")), 0o600);
        }
        let tip = std::fs::read_to_string(out.join("tip-1/tip.txt")).expect("tip.txt");
        assert!(tip.contains("the ledger is in the basement"));
        assert!(tip.contains("Contact: ask for Jo"));
        let attachment = std::fs::read(out.join("tip-1/1-.._ledger.pdf")).expect("attachment");
        assert_eq!(attachment, b"%PDF-1.4 ledger");
        // An export never writes into a folder that has something in it.
        assert!(export(&store, &media, &identity_file, &out).await.is_err());
        // Another key reads nothing.
        let stranger = folder.path().join("stranger.txt");
        std::fs::write(
            &stranger,
            dateline_tips::generate_identity("x", "y")
                .file_text
                .as_bytes(),
        )
        .expect("write");
        // An empty folder made beforehand, open to everyone, is closed before anything goes in.
        let empty = folder.path().join("export-stranger");
        std::fs::create_dir(&empty).expect("folder");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o777))
                .expect("open it");
        }
        export(&store, &media, &stranger, &empty)
            .await
            .expect("export");
        assert!(!empty.join("tip-1").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&empty)
                .expect("folder")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        store.close().await;
    }

    fn bytes_of(bytes: Vec<u8>) -> bytes::Bytes {
        bytes::Bytes::from(bytes)
    }
}
