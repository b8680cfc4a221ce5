//! The `hearth` binary: parse the command line and run.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = hearth::cli::Cli::parse();
    match hearth::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
