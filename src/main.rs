fn main() -> std::process::ExitCode {
    paperdeck::cli::main()
}
