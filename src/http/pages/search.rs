//! `/w/{ws}/search`: results as a page, with snippets, links into the conversation, paging
//! and an empty state; it works without JavaScript.

use actix_web::http::StatusCode;
use actix_web::{get, web};
use serde::Deserialize;

use crate::app::AppState;
use crate::app::search::{self, Results};
use crate::error::AppError;
use crate::http::pages::{PageResult, PageUser, html, html_status, layout_for};
use crate::search::Sort;
use crate::views::search::{ResultView, SearchPage};

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

/// Results shown on a page.
const PER_PAGE: usize = 20;

#[get("/w/{ws}/search")]
pub async fn search_page(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    params: web::Query<SearchParams>,
) -> PageResult {
    let q = params.q.clone().unwrap_or_default();
    let mut layout = layout_for(&state, &user.0, "Search", Some(&ws)).await?;
    layout.search.clone_from(&q);
    let sort = search::parse_sort(params.sort.as_deref())?;
    let mut page = SearchPage {
        layout,
        ws: ws.clone(),
        q: q.clone(),
        by_date: sort == Sort::Date,
        results: Vec::new(),
        total: 0,
        notes: Vec::new(),
        more: None,
    };
    if q.trim().is_empty() {
        // The workspace must still be the caller's.
        crate::app::workspaces::get(&state, &user.0.actor, &ws).await?;
        return html(&page);
    }
    match search::search(&state, user.0.actor.id(), &ws, &q, sort, PER_PAGE, params.cursor.as_deref()).await {
        Ok(Results { results, total, next_cursor, notes }) => {
            let label = |id: i64, name: &Option<String>| {
                let nav = page.layout.nav.as_ref();
                let known = nav.and_then(|n| n.channels.iter().chain(n.dms.iter()).find(|c| c.id == id));
                match (known, name) {
                    (Some(c), Some(_)) => format!("#{}", c.label),
                    (Some(c), None) => c.label.clone(),
                    (None, Some(name)) => format!("#{name}"),
                    (None, None) => "Direct message".to_owned(),
                }
            };
            page.results =
                results.iter().map(|f| ResultView::new(f, &ws, label(f.channel.id, &f.channel.name))).collect();
            page.total = total;
            page.notes = notes;
            page.more = next_cursor.map(|c| {
                let sort = if sort == Sort::Date { "date" } else { "relevance" };
                format!("/w/{ws}/search?q={}&sort={sort}&cursor={c}", super::encode(&q))
            });
            html(&page)
        }
        Err(e @ AppError::Malformed(_)) => {
            page.layout.fail(&e);
            html_status(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => Err(e.into()),
    }
}
