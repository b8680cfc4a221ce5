//! The command line: `serve` (the default), `migrate`, and `admin …` for operators (accounts,
//! workspaces, outbound jobs).

use std::io::BufRead;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::jobs::Operator;
use crate::config::{LogFormat, Settings, SettingsArgs};
use crate::domain::jobs::JobFilter;
use crate::startup::{self, Application};
use crate::{app, security};

/// hearth: self-hosted team chat.
///
/// Every setting can come from hearth.toml, a HEARTH_* environment variable or a flag;
/// flags win over the environment, which wins over the file.
#[derive(Debug, Parser)]
#[command(name = "hearth", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Rebuild this node's search index from the database. A server running on the same
    /// data directory keeps answering from the old index until the new one is complete,
    /// then takes it up.
    Reindex,
    /// Operator actions on accounts and workspaces.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account. The password is read from standard input, or generated and printed.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: String,
        /// Make the account a server admin.
        #[arg(long)]
        server_admin: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create a workspace owned by an existing account.
    CreateWorkspace {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// Username or email of the owner.
        #[arg(long)]
        owner: String,
    },
    /// Print a single-use password-reset link for an account.
    ResetPassword {
        /// Username or email.
        user: String,
    },
    /// List accounts.
    ListUsers,
    /// Disable an account everywhere and end its sessions and tokens.
    Deactivate {
        /// Username or email.
        user: String,
    },
    /// List outbound jobs (mail) not yet done: pending ones and failed ones, newest first.
    Jobs {
        /// Only the failed ones.
        #[arg(long, conflicts_with = "pending")]
        failed: bool,
        /// Only the pending ones (waiting, running, or waiting for a retry).
        #[arg(long)]
        pending: bool,
        /// How many to list.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(subcommand)]
        action: Option<JobsCommand>,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Give a failed job a fresh set of attempts, starting now.
    Retry {
        /// The job's id, as `hearth admin jobs` lists it.
        id: i64,
    },
}

/// Sets up logging from the settings.
pub fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log.filter).unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match settings.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Runs the chosen command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&cli.settings)?;
    init_logging(&settings);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings)?;
            startup::stop_on_signals(app.handle())?;
            tracing::info!(url = %app.state().public_url, "hearth is listening");
            app.run_until_stopped().await?;
            tracing::info!("hearth has stopped");
        }
        Command::Migrate => {
            startup::open_database(&settings)?;
            println!("migrations are up to date");
        }
        Command::Reindex => reindex(settings).await?,
        Command::Admin(cmd) => admin(settings, cmd).await?,
    }
    Ok(())
}

/// Builds a new search index from the database with a progress bar, makes it current and
/// removes old ones nobody is writing to.
async fn reindex(settings: Settings) -> anyhow::Result<()> {
    let db = startup::open_database(&settings)?;
    let root = crate::search::Root::new(&settings.data_dir);
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} messages, {per_sec}, {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let shown = bar.clone();
    let built = tokio::task::spawn_blocking(move || {
        let progress = move |done: u64, total: u64| {
            shown.set_length(total);
            shown.set_position(done);
        };
        crate::search::rebuild(&db, &root, &progress, &tokio_util::sync::CancellationToken::new()).map(|b| (b, root))
    })
    .await??;
    bar.finish_and_clear();
    let (Some(built), root) = built else { anyhow::bail!("the rebuild was stopped") };
    let name = built.generation.name.clone();
    root.make_current(&name)?;
    root.remove_others(Some(&name));
    let bytes = dir_size(&root.dir.join(&name));
    let seconds = built.took.as_secs_f64().max(0.001);
    println!(
        "indexed {} messages in {seconds:.1} s ({:.0} a second); the index takes {:.1} MB in {}",
        built.messages,
        built.messages as f64 / seconds,
        bytes as f64 / 1e6,
        root.dir.join(&name).display()
    );
    Ok(())
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
        })
        .unwrap_or(0)
}

async fn admin(settings: Settings, cmd: AdminCommand) -> anyhow::Result<()> {
    let public_url = settings.http.public_url.clone().unwrap_or_else(|| format!("http://{}", settings.http.bind));
    let state = startup::build_state(settings, public_url)?;
    match cmd {
        AdminCommand::CreateUser { email, username, server_admin, password_stdin } => {
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).context("reading the password")?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (security::random_token("")[..20].to_owned(), true)
            };
            let user = app::admin::create_user(&state, &email, &username, &password, server_admin).await?;
            println!(
                "created user {} (id {}){}",
                user.username,
                user.id,
                if user.is_server_admin { ", server admin" } else { "" }
            );
            if generated {
                println!("password: {password}");
            }
        }
        AdminCommand::CreateWorkspace { slug, name, owner } => {
            let ws = app::admin::create_workspace(&state, &owner, &slug, &name).await?;
            println!("created workspace {} (id {}) at {}", ws.name, ws.id, state.link(&format!("/w/{}", ws.slug)));
        }
        AdminCommand::ResetPassword { user } => {
            println!("{}", app::admin::reset_password_link(&state, &user).await?);
        }
        AdminCommand::ListUsers => {
            println!("{:>6}  {:<24}  {:<32}  status", "id", "username", "email");
            for u in app::admin::list_users(&state).await? {
                let status = match (u.deactivated_at.is_some(), u.is_server_admin) {
                    (true, _) => "deactivated",
                    (false, true) => "server admin",
                    (false, false) => "active",
                };
                println!("{:>6}  {:<24}  {:<32}  {}", u.id, u.username, u.email, status);
            }
        }
        AdminCommand::Deactivate { user } => {
            let u = app::admin::deactivate(&state, &user).await?;
            println!("deactivated {}; their sessions and tokens no longer work", u.username);
        }
        AdminCommand::Jobs { action: Some(JobsCommand::Retry { id }), .. } => {
            let job = app::jobs::retry(&state, Operator::CommandLine, id).await?;
            println!("job {} will be tried again now ({})", job.id, job.summary);
        }
        AdminCommand::Jobs { failed, pending, limit, action: None } => {
            let filter = match (failed, pending) {
                (true, _) => JobFilter::Failed,
                (false, true) => JobFilter::Pending,
                (false, false) => JobFilter::Unfinished,
            };
            let page = app::jobs::list(&state, Operator::CommandLine, filter, None, limit).await?;
            print_jobs(&page.jobs);
        }
    }
    Ok(())
}

/// One job a line, then its last error indented below it.
fn print_jobs(jobs: &[crate::jobs::JobInfo]) {
    if jobs.is_empty() {
        println!("no jobs");
        return;
    }
    println!("{:>6}  {:<8}  {:<8}  {:>8}  {:<27}  summary", "id", "state", "kind", "attempts", "next attempt");
    for job in jobs {
        let next = if job.state == "failed" {
            "-".to_owned()
        } else {
            job.run_at.0.format("%Y-%m-%d %H:%M:%S UTC").to_string()
        };
        let attempts = format!("{}/{}", job.attempts, job.max_attempts);
        println!("{:>6}  {:<8}  {:<8}  {:>8}  {:<27}  {}", job.id, job.state, job.kind, attempts, next, job.summary);
        if let Some(error) = &job.last_error {
            println!("{:>8}last error: {error}", "");
        }
    }
}
