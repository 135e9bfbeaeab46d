//! `cargo xtask`: the project's scripts, in Rust so they run wherever cargo does.

mod android;
mod android_api;
mod android_resources;
mod apt;
mod arm;
mod bench;
mod browser;
mod chroot;
mod client;
mod demo;
mod events;
mod fresh;
mod fuzz;
mod ios;
mod junit;
mod kotlin;
mod kotlin_sources;
mod libtest;
mod mobile;
mod msrv;
mod process;
mod readme;
mod report;
mod samples;
mod signals;
mod swift;
mod test;
mod testbed;
mod tools;
mod workspace;

use std::process::ExitCode;

use workspace::Workspace;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  test [--fresh] [--skip-kotlin] [--skip-swift] [--skip-browser]
       [--only cargo-test|fuzz|kotlin|samples|swift|interop]
                                install what is missing, then fmt, clippy, cargo test, every
                                fuzz target for 10 s, the Kotlin and Swift binding tests (and
                                the README quick starts compiled), the samples' JVM and Swift tests and the
                                lib-jitsi-meet interop tests in Chromium, each with a time limit
                                (CI=true turns a missing tool into a failure, refuses the
                                --skip and --only flags and adds `fresh --demo-only`;
                                --fresh adds `fresh`)
  fuzz [TARGET] [--runs N | --seconds S]
                                build the fuzz targets (fuzz/) with libFuzzer and run one or
                                every one (default 20 s each); fails on a crash or hang and
                                names the reproducer
  demo [--server URL] [--room NAME]
                                installs cmake, a C/C++ compiler and (without --server) Prosody
                                if missing; three CLI clients chat, mute and leave on a local
                                testbed; with --server, two clients join that deployment instead
  fresh [--demo-only]           `demo` then `test` in a clean clone of HEAD on a minimal Debian
                                bookworm chroot with only the host's Rust toolchain (as root;
                                the chroot is cached in target/tools/fresh, each run's installs
                                and build are discarded)
  bench fuzz                    every fuzz target to 10^6 executions (at most 5 min each):
                                exec/s, coverage, crashes in target/bench/fuzz.md
  bench [--sizes N,N,...] [--skip-kotlin] [--skip-browser]
                                join latency (Rust, Kotlin, lib-jitsi-meet in Chromium), scale, footprint, media CPU and
                                audio latency; writes target/bench/bench.md and bench.json
  msrv                          the rust-version each crate declares against the versions its
                                dependencies declare, every target included (also a test step)
  android                       build the Android libraries and Kotlin bindings into the
                                android-sample/sdk module (needs the NDK)
  ios                           build the iOS XCFramework and the Swift package around it
                                (needs macOS, Xcode)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let ws = Workspace::locate();
    let outcome = match command.as_str() {
        "test" => test::run(&ws, rest),
        "demo" => demo::run(&ws, rest),
        "fresh" => fresh::run_command(&ws, rest),
        "fuzz" => fuzz::run(&ws, rest),
        "bench" => bench::run(&ws, rest),
        "msrv" => msrv::check(&ws).map(|found| println!("{found}")),
        "android" => android::run(&ws, rest),
        "ios" => ios::run(&ws, rest),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Every subcommand refuses what it does not know rather than ignoring a mistyped flag.
fn no_args(command: &str, args: &[String]) -> Result<(), String> {
    match args.first() {
        None => Ok(()),
        Some(a) => Err(format!("`{command}` takes no arguments, got {a:?}")),
    }
}
