//! Templates: pages, fragments and mail, rendered to strings. No web framework here.

pub mod assets;
pub mod mail;
pub mod messages;
pub mod pages;
pub mod search;

/// Renders a template; a failure is a bug, logged and reported as one.
pub fn render(t: &impl askama::Template) -> Result<String, crate::error::AppError> {
    t.render().map_err(|e| crate::error::AppError::Unexpected(anyhow::anyhow!("template failed: {e}")))
}
