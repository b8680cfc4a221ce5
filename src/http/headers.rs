//! Security headers on every response: a Content-Security-Policy that allows no inline
//! script or style (hearth's pages have none), no framing, no referrer leaking paths to
//! other sites, no content sniffing, no powerful features but the microphone (voice
//! messages), and HSTS when the public URL is https. Also: which responses are compressed.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::app::AppState;

/// What pages may load: their own scripts, styles, images and connections (the WebSocket
/// included), nothing inline, nothing framing them.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers a handler has not set itself.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.public_url.starts_with("https://"));
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(HeaderName::from_static("permissions-policy"), "camera=(), geolocation=(), payment=(), microphone=(self)");
    set(header::X_FRAME_OPTIONS, "DENY");
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    Ok(res)
}

/// Whether a response is worth compressing: text (pages, styles, scripts, JSON, SVG). Files
/// people share are sent as stored — mostly compressed already, often large, and served in
/// ranges — and are marked so that the compressing middleware leaves them alone.
fn compressible(content_type: &str) -> bool {
    let kind = content_type.split(';').next().unwrap_or_default().trim();
    kind.starts_with("text/")
        || matches!(kind, "application/json" | "application/manifest+json" | "image/svg+xml" | "application/javascript")
}

/// Marks responses that must not be compressed (`Content-Encoding: identity`), inside the
/// compressing middleware; [`unmark_identity`] takes the mark off outside it.
pub async fn mark_incompressible(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !compressible(kind) && !headers.contains_key(header::CONTENT_ENCODING) {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("identity"));
    }
    Ok(res)
}

/// Takes off the mark [`mark_incompressible`] set: `identity` is never sent.
pub async fn unmark_identity(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if res.headers().get(header::CONTENT_ENCODING).is_some_and(|v| v == "identity") {
        res.headers_mut().remove(header::CONTENT_ENCODING);
    }
    Ok(res)
}
