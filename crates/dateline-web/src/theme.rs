//! The theme: minijinja templates and static assets, embedded in the binary so a fresh start
//! needs no files, and overridable file by file from a folder at run time.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use minijinja::Environment;
use sha2::{Digest, Sha256};

use crate::cache::CachedPage;

macro_rules! embedded {
    ($($name:literal),+ $(,)?) => {
        &[$(($name, include_str!(concat!("../themes/default/", $name)))),+]
    };
}

const TEMPLATES: &[(&str, &str)] = embedded!(
    "templates/base.html",
    "templates/article.html",
    "templates/corrections.html",
    "templates/front.html",
    "templates/listing.html",
    "templates/not_found.html",
    "templates/page.html",
    "templates/search.html",
    "templates/tips/form.html",
    "templates/tips/received.html",
    "templates/tips/follow_up.html",
    "templates/partials/card.html",
    "templates/partials/share.html",
    "templates/partials/listen.html",
    "templates/partials/pagination.html",
    "templates/partials/icons.html",
    "templates/partials/comments.html",
    "templates/partials/live.html",
    "templates/live_entries.html",
    "templates/newsroom/live.html",
    "templates/discussion.html",
    "templates/discussion_thread.html",
    "templates/readers/message.html",
    "templates/readers/sign_up.html",
    "templates/readers/sign_in.html",
    "templates/readers/magic.html",
    "templates/readers/account.html",
    "templates/newsroom/base.html",
    "templates/newsroom/forbidden.html",
    "templates/newsroom/login.html",
    "templates/newsroom/dashboard.html",
    "templates/newsroom/password.html",
    "templates/newsroom/set_password.html",
    "templates/newsroom/users.html",
    "templates/newsroom/user_new.html",
    "templates/newsroom/user_link.html",
    "templates/newsroom/audit.html",
    "templates/newsroom/tokens.html",
    "templates/newsroom/articles.html",
    "templates/newsroom/article_fields.html",
    "templates/newsroom/article_edit.html",
    "templates/newsroom/article_conflict.html",
    "templates/newsroom/article_revisions.html",
    "templates/newsroom/images.html",
    "templates/newsroom/image_new.html",
    "templates/newsroom/image_edit.html",
    "templates/newsroom/sections.html",
    "templates/newsroom/section_edit.html",
    "templates/newsroom/pages.html",
    "templates/newsroom/page_edit.html",
    "templates/newsroom/settings.html",
    "templates/newsroom/narration.html",
    "templates/newsroom/authors.html",
    "templates/newsroom/author_edit.html",
    "templates/newsroom/tips.html",
    "templates/newsroom/tip.html",
    "templates/newsroom/comments.html",
    "templates/newsroom/comment_settings.html",
);

const STATIC_FILES: &[(&str, &str)] = embedded!(
    "static/site.css",
    "static/site.js",
    "static/listen.js",
    "static/newsroom.css",
    "static/newsroom-editor.js",
    "static/newsroom-editor.css",
    "static/tips.js",
    "static/logo.svg",
    "static/favicon.svg",
);

/// A static file, served at a URL that names its content so it can be cached forever.
pub struct Asset {
    pub url: String,
    pub page: Arc<CachedPage>,
}

pub struct Theme {
    env: Environment<'static>,
    /// Keyed by file name ("site.css").
    assets: HashMap<String, Asset>,
    /// Fingerprinted URL path → file name.
    by_url: HashMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("template {name}: {source}")]
    Template {
        name: String,
        #[source]
        source: minijinja::Error,
    },
}

impl Theme {
    /// The embedded default theme, with files from `override_folder` (laid out like
    /// `themes/default/`: `templates/…`, `static/…`) taking precedence.
    pub fn load(override_folder: Option<&Path>) -> Result<Self, ThemeError> {
        let mut env = Environment::new();
        env.set_formatter(escape_html_text);
        for (path, source) in TEMPLATES {
            let source =
                read_override(override_folder, path)?.unwrap_or_else(|| (*source).to_owned());
            let name = path.trim_start_matches("templates/").to_owned();
            env.add_template_owned(name.clone(), source)
                .map_err(|source| ThemeError::Template { name, source })?;
        }
        let mut assets = HashMap::new();
        let mut by_url = HashMap::new();
        for (path, source) in STATIC_FILES {
            let body =
                read_override(override_folder, path)?.unwrap_or_else(|| (*source).to_owned());
            let file = path.trim_start_matches("static/").to_owned();
            let digest = hex::encode(&Sha256::digest(body.as_bytes())[..5]);
            let (stem, extension) = file.rsplit_once('.').unwrap_or((file.as_str(), ""));
            let url = format!("/static/{stem}.{digest}.{extension}");
            let content_type = match extension {
                "css" => "text/css; charset=utf-8",
                "js" => "text/javascript; charset=utf-8",
                "svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            let page = Arc::new(CachedPage::new(
                content_type,
                "public, max-age=31536000, immutable",
                Bytes::from(body),
                Vec::new(),
            ));
            by_url.insert(url.clone(), file.clone());
            assets.insert(file, Asset { url, page });
        }
        Ok(Self {
            env,
            assets,
            by_url,
        })
    }

    pub fn render(
        &self,
        template: &str,
        context: minijinja::Value,
    ) -> Result<String, minijinja::Error> {
        self.env.get_template(template)?.render(context)
    }

    /// The fingerprinted URL of a static file, e.g. `/static/site.3f2a9c1d0e.css`.
    pub fn asset_url(&self, file: &str) -> &str {
        self.assets
            .get(file)
            .map(|asset| asset.url.as_str())
            .unwrap_or("")
    }

    /// The asset at a fingerprinted URL path; an old fingerprint is not found, so a stale URL can
    /// never be cached forever with new content.
    pub fn asset_at(&self, url_path: &str) -> Option<&Arc<CachedPage>> {
        let file = self.by_url.get(url_path)?;
        self.assets.get(file).map(|asset| &asset.page)
    }
}

/// HTML escaping of `& < > " '` (what the HTML spec needs in text and quoted attributes).
/// minijinja's default also escapes `/`, which turns every URL into `&#x2f;` soup: valid, but
/// heavier pages and unreadable source.
fn escape_html_text(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if *state.auto_escape() != minijinja::AutoEscape::Html || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[start..index])?;
        out.write_str(entity)?;
        start = index + 1;
    }
    out.write_str(&text[start..])?;
    Ok(())
}

fn read_override(folder: Option<&Path>, path: &str) -> Result<Option<String>, ThemeError> {
    let Some(folder) = folder else {
        return Ok(None);
    };
    let full = folder.join(path);
    match std::fs::read_to_string(&full) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ThemeError::Read {
            path: full.display().to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_theme_loads_and_fingerprints_assets() {
        let theme = Theme::load(None).expect("default theme");
        let css = theme.asset_url("site.css");
        assert!(
            css.starts_with("/static/site.") && css.ends_with(".css"),
            "{css}"
        );
        assert!(theme.asset_at(css).is_some());
        assert!(theme.asset_at("/static/site.css").is_none());
    }

    #[test]
    fn escapes_markup_but_not_slashes() {
        let mut env = Environment::new();
        env.set_formatter(escape_html_text);
        env.add_template(
            "t.html",
            "<a href=\"{{ url }}\">{{ text }}</a>{{ none_value }}",
        )
        .expect("template");
        let html = env
            .get_template("t.html")
            .expect("get")
            .render(minijinja::context! {
                url => "/politics/a?b=1&c=2",
                text => "<script>\"x\" & 'y'",
                none_value => minijinja::Value::UNDEFINED,
            })
            .expect("render");
        assert_eq!(
            html,
            "<a href=\"/politics/a?b=1&amp;c=2\">&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;</a>"
        );
    }

    #[test]
    fn folder_overrides_a_file() {
        let folder = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(folder.path().join("static")).expect("mkdir");
        std::fs::write(folder.path().join("static/site.css"), "body{color:red}").expect("write");
        let default = Theme::load(None).expect("default");
        let themed = Theme::load(Some(folder.path())).expect("override");
        assert_ne!(default.asset_url("site.css"), themed.asset_url("site.css"));
        assert_eq!(default.asset_url("site.js"), themed.asset_url("site.js"));
    }
}
