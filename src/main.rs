use std::process::ExitCode;

fn main() -> ExitCode {
    // kube and reqwest share rustls; without a process-wide provider kube panics at start.
    if rustls::crypto::aws_lc_rs::default_provider()
        .install_default()
        .is_err()
    {
        eprintln!("warning: a rustls crypto provider was already installed");
    }
    rollout_doctor::cli::main()
}
