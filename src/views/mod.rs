//! Templates: pages, fragments and mail, rendered to strings. No web framework here.

pub mod mail;
