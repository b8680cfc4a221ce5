//! HTTP: the one route table, extractors, the JSON API and the pages. The only module that
//! imports actix.

pub mod api;
pub mod auth;
pub mod body;
pub mod error;
pub mod headers;
pub mod health;
pub mod hooks;
pub mod pages;
pub mod slack;
pub mod uploads;
pub mod ws;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::app::AppState;

pub use body::BODY_LIMIT;

/// Every route hearth serves.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().limit(BODY_LIMIT).error_handler(error::json_error))
        .app_data(web::FormConfig::default().limit(BODY_LIMIT).error_handler(error::form_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        // operations
        .service(health::healthz)
        .service(health::readyz)
        .service(api::openapi_json)
        .service(api::admin::list_jobs)
        .service(api::admin::retry_job)
        // accounts and sessions
        .service(api::accounts::signup)
        .service(api::accounts::login)
        .service(api::accounts::logout)
        .service(api::accounts::logout_all)
        .service(api::accounts::password_reset)
        .service(api::accounts::password_reset_confirm)
        .service(api::accounts::verify)
        .service(api::accounts::me)
        .service(api::accounts::update_me)
        .service(api::accounts::set_avatar)
        .service(api::accounts::remove_avatar)
        .service(api::accounts::profile)
        .service(api::accounts::avatar)
        .service(api::accounts::preferences)
        .service(api::accounts::update_preferences)
        .service(api::accounts::change_password)
        .service(api::accounts::create_token)
        .service(api::accounts::list_tokens)
        .service(api::accounts::revoke_token)
        // workspaces, members, invitations
        .service(api::search::suggest)
        .service(api::search::search)
        .service(api::workspaces::create)
        .service(api::workspaces::list)
        .service(api::workspaces::get)
        .service(api::workspaces::update)
        .service(api::workspaces::members)
        .service(api::workspaces::update_member)
        .service(api::workspaces::invite)
        .service(api::workspaces::list_invitations)
        .service(api::workspaces::accept)
        // channels and direct messages
        .service(api::channels::create)
        .service(api::channels::list)
        .service(api::channels::open_dm)
        .service(api::channels::get)
        .service(api::channels::update)
        .service(api::channels::join)
        .service(api::channels::leave)
        .service(api::channels::archive)
        .service(api::channels::unarchive)
        .service(api::channels::members)
        .service(api::channels::add_member)
        .service(api::channels::remove_member)
        .service(api::channels::read)
        // messages
        .service(api::messages::post)
        .service(api::files::upload)
        .service(api::files::get)
        .service(api::files::list)
        .service(api::files::remove)
        .service(api::files::thumbnail)
        .service(api::files::download)
        .service(api::messages::history)
        .service(api::messages::get)
        .service(api::messages::edit)
        .service(api::messages::remove)
        .service(api::messages::thread)
        .service(api::messages::react)
        .service(api::messages::unreact)
        .service(api::messages::pin)
        .service(api::messages::unpin)
        .service(api::messages::mark_unread)
        .service(api::messages::pins)
        // integrations
        .service(api::webhooks::create)
        .service(api::webhooks::list)
        .service(api::webhooks::get)
        .service(api::webhooks::update)
        .service(api::webhooks::remove)
        .service(api::webhooks::create_outgoing)
        .service(api::webhooks::list_outgoing)
        .service(api::webhooks::get_outgoing)
        .service(api::webhooks::update_outgoing)
        .service(api::webhooks::remove_outgoing)
        .service(api::bots::create)
        .service(api::bots::list)
        .service(api::bots::get)
        .service(api::bots::update)
        .service(api::bots::remove)
        .service(api::commands::run_in_channel)
        .service(api::commands::hints)
        .service(api::commands::create)
        .service(api::commands::list)
        .service(api::commands::get)
        .service(api::commands::update)
        .service(api::commands::remove)
        .service(hooks::command_response)
        .service(hooks::hook)
        .service(hooks::slack_hook)
        .service(slack::upload)
        .service(slack::call)
        .service(pages::apps::apps)
        .service(pages::apps::create_bot)
        .service(pages::apps::change_bot)
        .service(pages::apps::create_command)
        .service(pages::apps::change_command)
        // the event log
        .service(api::events::list)
        .service(ws::connect)
        // pages
        .service(pages::static_file)
        .service(pages::viewer_css)
        .service(pages::accounts::index)
        .service(pages::accounts::login_page)
        .service(pages::accounts::login)
        .service(pages::accounts::signup_page)
        .service(pages::accounts::signup)
        .service(pages::accounts::logout)
        .service(pages::accounts::password_reset_request_page)
        .service(pages::accounts::password_reset_request)
        .service(pages::accounts::password_reset_page)
        .service(pages::accounts::password_reset)
        .service(pages::accounts::verify_sent)
        .service(pages::accounts::verify_page)
        .service(pages::accounts::verify)
        .service(pages::notifications::update)
        .service(pages::notifications::show)
        .service(pages::notifications::unsubscribe)
        .service(pages::accounts::account)
        .service(pages::accounts::update_profile)
        .service(pages::accounts::set_avatar)
        .service(pages::accounts::remove_avatar)
        .service(pages::accounts::change_password)
        .service(pages::accounts::create_token)
        .service(pages::accounts::revoke_token)
        .service(pages::accounts::sign_out_everywhere)
        .service(pages::workspaces::new_page)
        .service(pages::workspaces::create)
        .service(pages::workspaces::home)
        .service(pages::workspaces::members_settings)
        .service(pages::workspaces::rename)
        .service(pages::workspaces::invite)
        .service(pages::workspaces::update_member)
        .service(pages::integrations::integrations)
        .service(pages::integrations::create_hook)
        .service(pages::integrations::policy)
        .service(pages::integrations::create_outgoing)
        .service(pages::integrations::change_outgoing)
        .service(pages::integrations::change_hook)
        .service(pages::search::search_page)
        .service(pages::channels::conversation_page)
        .service(pages::channels::permalink)
        .service(pages::channels::thread_page)
        .service(pages::channels::post_message)
        .service(pages::channels::post_files)
        .service(pages::channels::join)
        .service(pages::channels::leave)
        .service(pages::channels::message_actions)
        .service(pages::channels::message_action)
        .service(pages::channels::details)
        .service(pages::channels::update_details)
        .service(pages::channels::notify)
        .service(pages::channels::add_member)
        .service(pages::channels::remove_member)
        .service(pages::channels::archive)
        .service(pages::channels::unarchive)
        .service(pages::channels::pins)
        .service(pages::channels::files_page)
        .service(pages::channels::delete_file)
        .service(pages::channels::new_channel_page)
        .service(pages::channels::create_channel)
        .service(pages::channels::browse)
        .service(pages::channels::new_dm_page)
        .service(pages::channels::open_dm)
        .service(pages::workspaces::invitation)
        .service(pages::workspaces::accept)
        .default_service(web::to(pages::errors::not_found));
}

/// Sets the renewed session cookie that authentication left on the request.
pub async fn renew_session_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let renewed = res.request().extensions().get::<auth::RenewedSession>().cloned();
    if let Some(auth::RenewedSession(token)) = renewed {
        if let Some(state) = res.request().app_data::<web::Data<AppState>>().cloned() {
            let _ = res.response_mut().add_cookie(&auth::session_cookie(&state, &token));
        }
    }
    Ok(res)
}
