//! The `radiant-onboard` binary: the only place that knows the terminal (clap, indicatif, miette).

mod cli;
mod render;

fn main() -> std::process::ExitCode {
    cli::main()
}
