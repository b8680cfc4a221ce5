//! Request bodies sized by route. Every JSON and form body is held to `BODY_LIMIT`, except
//! on the routes that carry a message's text, whose extractors here allow the longest valid
//! message (`HEARTH_MAX_MESSAGE_CHARS`) in its most expanded encoding. Uploads will stream
//! through routes of their own.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::{JsonBody, Payload, UrlEncoded};
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use super::error::{form_error, json_error};
use crate::app::AppState;

/// The largest JSON or form body accepted on routes that carry no message text.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The body limit of routes that carry message text: every character of the longest valid
/// message escaped as `\u0000` in JSON or percent-encoded in four UTF-8 bytes in a form (12
/// bytes), with room for the other fields.
pub fn text_body_limit(max_message_chars: usize) -> usize {
    max_message_chars.saturating_mul(12).saturating_add(BODY_LIMIT)
}

fn limit_for(req: &HttpRequest) -> usize {
    let max_chars = req.app_data::<web::Data<AppState>>().map_or(40_000, |s| s.settings.limits.max_message_chars);
    text_body_limit(max_chars)
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

/// A JSON body that carries a message's text.
pub struct TextJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for TextJson<T> {
    type Error = actix_web::Error;
    type Future = Extracted<TextJson<T>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = JsonBody::<T>::new(req, payload, None, true).limit(limit_for(req));
        let req = req.clone();
        Box::pin(async move { body.await.map(TextJson).map_err(|e| json_error(e, &req)) })
    }
}

/// A form body that carries a message's text.
pub struct TextForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for TextForm<T> {
    type Error = actix_web::Error;
    type Future = Extracted<TextForm<T>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = UrlEncoded::<T>::new(req, payload).limit(limit_for(req));
        let req = req.clone();
        Box::pin(async move { body.await.map(TextForm).map_err(|e| form_error(e, &req)) })
    }
}

/// Why a raw body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Over the route's limit (declared or sent).
    TooLarge,
    /// The connection broke off mid-body.
    Broken,
}

/// A whole raw body of at most `limit` bytes, for routes that read it their own way
/// (webhooks, the Slack-compatible API).
pub async fn read_capped(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, BodyError> {
    use futures_util::StreamExt;
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
