//! `dateline user …`: staff accounts from a shell. Passwords are read from the terminal without
//! echo (asked twice) or, when stdin is not a terminal, from its first line — never from a flag,
//! where they would end up in shell history and process listings.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context as _, bail};
use dateline_usecases::people::{self, AccountDraft};
use dateline_usecases::{Actor, Context, UseCaseError};
use dateline_web::newsroom::{PASSWORD_LINK_VALID_FOR, issue_password_link, secrets};

/// Who the audit log names for what the command line does.
fn actor() -> Actor {
    Actor::system("command line")
}

pub struct NewUser {
    pub email: String,
    pub name: String,
    /// As `--role` gave it; the use case names a role it does not know.
    pub role: String,
    pub author_slug: Option<String>,
}

pub async fn create(ctx: &Context, user: NewUser) -> anyhow::Result<()> {
    let mut draft = AccountDraft {
        email: user.email,
        display_name: user.name,
        role: user.role,
        author_slug: user.author_slug.unwrap_or_default(),
        password_hash: None,
    };
    // The same checks as the newsroom's form, before the password is asked for.
    let problems: Vec<_> = dateline_core::staff::check_account(&draft.email, &draft.display_name)
        .into_iter()
        .map(|refusal| refusal.to_string())
        .collect();
    if !problems.is_empty() {
        bail!("{}", problems.join(" "));
    }
    let password = read_new_password(&draft.email)?;
    let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .context("hashing the password")??;
    draft.password_hash = Some(hash);
    let member = match people::create_account(ctx, &actor(), &draft, jiff::Timestamp::now()).await {
        Ok(member) => member,
        Err(UseCaseError::Refused(refusals)) => bail!("{refusals}"),
        Err(error) => return Err(error).context("creating the account"),
    };
    println!(
        "Created {} <{}> as {}. They can sign in at /newsroom/login.",
        member.display_name, member.email, member.role
    );
    Ok(())
}

pub async fn set_password_link(ctx: &Context, base_url: &str, email: &str) -> anyhow::Result<()> {
    let member = ctx
        .store
        .people()
        .staff_by_email(email)
        .await
        .with_context(|| format!("no staff account has the email {email:?}"))?;
    let link = issue_password_link(ctx, base_url, member.id, &actor())
        .await
        .context("issuing the link")?;
    println!(
        "One-time link for {} (valid {} hours, replaces earlier links):\n{link}",
        member.display_name,
        PASSWORD_LINK_VALID_FOR.as_hours()
    );
    Ok(())
}

pub(crate) fn read_new_password(email: &str) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .context("reading the password")?;
        if let Some(problem) = secrets::password_problem(&first, email) {
            bail!("{problem}");
        }
        let second =
            rpassword::prompt_password("Password again: ").context("reading the password")?;
        if first != second {
            bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if let Some(problem) = secrets::password_problem(&password, email) {
        bail!("{problem}");
    }
    Ok(password)
}
