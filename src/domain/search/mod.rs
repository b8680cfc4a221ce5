//! Search, the pure part: how text is cut into terms (`text`) and what a query asks
//! (`query`). The index and its queries live in `crate::search`.

use super::messages::escape_into;
use super::{Code, Invalid};

pub mod query;
pub mod text;

pub use query::{Filter, Has, Person, Place, Query, Span, Text, parse};
