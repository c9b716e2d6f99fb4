// jemalloc rather than the system allocator: measured under load, see its note in Cargo.toml.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    paperdeck::cli::main()
}
