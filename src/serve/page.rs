//! The web page at `/`: search the memory and review an alignment. Its files live in
//! `src/serve/page/` and are compiled into the binary, so the server needs nothing
//! beside it and the page loads nothing from the network (no CDN, no build step).
//! The page talks to the JSON API (`/api/v1/...`) like any other client.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// A file of the page: its name under `/static/` and bytes.
struct Asset {
    name: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset::new("style.css", include_bytes!("page/style.css")),
    Asset::new("common.js", include_bytes!("page/common.js")),
    Asset::new("search.js", include_bytes!("page/search.js")),
    Asset::new("review.js", include_bytes!("page/review.js")),
];

impl Asset {
    const fn new(name: &'static str, body: &'static [u8]) -> Asset {
        Asset { name, body }
    }

    /// The content type, by the name's extension (a test checks each is known).
    fn content_type(&self) -> Option<&'static str> {
        match self.name.rsplit_once('.')?.1 {
            "css" => Some("text/css; charset=utf-8"),
            "js" => Some("text/javascript; charset=utf-8"),
            _ => None,
        }
    }
}

const INDEX: &str = include_str!("page/index.html");

/// The page's own scripts and styles only: no inline code, nothing from elsewhere.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
                   form-action 'self'";

/// The routes of the page: `/` and `/static/{file}`, for any router state.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/static/{file}", get(asset))
}

/// The page, with the version filled in (rendered once).
fn index_html() -> &'static (String, String) {
    static PAGE: OnceLock<(String, String)> = OnceLock::new();
    PAGE.get_or_init(|| {
        let html = INDEX.replace("{{VERSION}}", env!("CARGO_PKG_VERSION"));
        let etag = etag(html.as_bytes());
        (html, etag)
    })
}

async fn index(headers: HeaderMap) -> Response {
    let (html, etag) = index_html();
    respond(&headers, "text/html; charset=utf-8", html.as_bytes(), etag)
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match find(&file) {
        Some(a) => {
            static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
            let etags = ETAGS.get_or_init(|| ASSETS.iter().map(|a| etag(a.body)).collect());
            let i = ASSETS
                .iter()
                .position(|x| x.name == a.name)
                .expect("found above");
            let content_type = a.content_type().unwrap_or("application/octet-stream");
            respond(&headers, content_type, a.body, &etags[i])
        }
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no page file {file:?}\n"),
        )
            .into_response(),
    }
}

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// An answer revalidated on every load (`no-cache` + ETag: a new binary's page is
/// seen at once, an unchanged one costs a 304), with the page's security headers.
fn respond(
    request: &HeaderMap,
    content_type: &'static str,
    body: &'static [u8],
    etag: &str,
) -> Response {
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::ETAG,
        HeaderValue::from_str(etag).expect("an ETag is ASCII"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A strong ETag: FNV-1a of the bytes (they are fixed at build time).
fn etag(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `/static/...` file the page names is served, and every served file is named
    /// by the page or a script (no dead or missing assets).
    #[test]
    fn the_page_names_exactly_the_served_files() {
        let html = index_html().0.as_str();
        let mut named: Vec<&str> = html
            .match_indices("/static/")
            .map(|(i, _)| {
                let rest = &html[i + "/static/".len()..];
                &rest[..rest.find('"').expect("a quoted attribute")]
            })
            .collect();
        named.sort_unstable();
        let mut served: Vec<&str> = ASSETS.iter().map(|a| a.name).collect();
        served.sort_unstable();
        assert_eq!(named, served);
        assert!(!html.contains("{{"), "a placeholder is left in the page");
        for a in ASSETS {
            assert!(
                std::str::from_utf8(a.body).is_ok(),
                "{} is not UTF-8",
                a.name
            );
            assert!(a.content_type().is_some(), "{} has no known type", a.name);
        }
    }

    /// Nothing on the page loads from another origin: it works offline.
    #[test]
    fn nothing_is_fetched_from_elsewhere() {
        let texts = std::iter::once(INDEX.as_bytes()).chain(ASSETS.iter().map(|a| a.body));
        for text in texts {
            let text = std::str::from_utf8(text).unwrap();
            for needle in ["http://", "https://", "//cdn", "<script>", " on"] {
                if needle == " on" {
                    // no inline event handlers (the CSP forbids them)
                    assert!(
                        !text.contains(" onclick=") && !text.contains(" onload="),
                        "inline handler"
                    );
                    continue;
                }
                assert!(!text.contains(needle), "the page refers to {needle:?}");
            }
        }
    }

    #[tokio::test]
    async fn assets_have_their_type_and_revalidate() {
        let response = asset(Path("review.js".into()), HeaderMap::new()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let h = response.headers();
        assert_eq!(h[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        assert_eq!(h[header::CACHE_CONTROL], "no-cache");
        let etag = h[header::ETAG].clone();

        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, etag);
        let response = asset(Path("review.js".into()), again).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);

        let response = asset(Path("../Cargo.toml".into()), HeaderMap::new()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);

        let response = index(HeaderMap::new()).await;
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert!(response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("script-src 'self'"));
    }
}
