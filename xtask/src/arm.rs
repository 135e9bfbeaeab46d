//! The SDK on phones' processors. Android's arm64-v8a and armeabi-v7a run the same Rust and C
//! as aarch64 and armv7 Linux; only the libc (bionic, not glibc) and the linker differ, and no
//! NDK can be had here. So both are cross-compiled in a cached Debian sid chroot (its rustc has
//! both targets' std; trixie's is older than our rust-version), and every test binary then runs
//! on the host under sid's static qemu-user: Prosody is the host's, and the testbed tests reach
//! it over loopback as they do natively.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::apt::{is_root, Apt};
use crate::chroot::{Chroot, Mounts};
use crate::libtest::Libtest;
use crate::process::{self, run_watched_into, run_with_timeout};
use crate::report::{secs, Report};
use crate::workspace::Workspace;

const SUITE: &str = "sid";
const FOREIGN: [&str; 2] = ["arm64", "armhf"];
const PACKAGES: [&str; 18] = [
    "rustc",
    "cargo",
    "libstd-rust-dev:arm64",
    "libstd-rust-dev:armhf",
    "gcc-aarch64-linux-gnu",
    "g++-aarch64-linux-gnu",
    "libc6-dev-arm64-cross",
    "gcc-arm-linux-gnueabihf",
    "g++-arm-linux-gnueabihf",
    "libc6-dev-armhf-cross",
    "qemu-user",
    "cmake",
    "make",
    "gcc",
    "libc6-dev",
    "pkg-config",
    "ca-certificates",
    // android.jar for API 23, which the Android sample's Kotlin is compiled against.
    "android-sdk-platform-23",
];

/// Both targets in one cargo run share the host's build scripts and proc macros. Cold, in the
/// chroot on this 2-core machine: 350-409 s for both.
const BUILD_LIMIT: Duration = Duration::from_secs(45 * 60);
/// Fat LTO at opt-level z, for two targets.
const RELEASE_LIMIT: Duration = Duration::from_secs(60 * 60);
/// Per test binary. The slowest here under qemu, side by side with the other target:
/// testbed/tests/reconnect.rs, about 60 s.
const TEST_LIMIT: Duration = Duration::from_secs(10 * 60);

const ANDROID_JAR: &str = "usr/lib/android-sdk/platforms/android-23/android.jar";

/// Binaries left out under emulation, each with why. They are plain Rust with no code of their
/// own per processor, and they pass on aarch64 (checked by hand, see the README).
const LEFT_OUT: [(&str, &str); 1] = [(
    "resource_bounds",
    "CPU-bound (10^5 stanzas per case, serialised): 462 s under qemu-aarch64 against 27 s \
     natively",
)];

pub struct Arch {
    pub triple: &'static str,
    /// Android's name for the ABI it stands in for.
    pub abi: &'static str,
    /// Of the Debian cross toolchain and its sysroot under /usr.
    gnu: &'static str,
    qemu: &'static str,
    /// C flags that make Debian's cross gcc build what the NDK's clang builds for the ABI.
    cflags: &'static str,
}

pub const ARCHES: [Arch; 2] = [
    Arch {
        triple: "aarch64-unknown-linux-gnu",
        abi: "arm64-v8a",
        gnu: "aarch64-linux-gnu",
        qemu: "qemu-aarch64",
        cflags: "",
    },
    Arch {
        triple: "armv7-unknown-linux-gnueabihf",
        abi: "armeabi-v7a",
        gnu: "arm-linux-gnueabihf",
        qemu: "qemu-arm",
        // Debian's armhf gcc defaults to VFPv3-D16 without NEON. libopus then still compiles
        // its NEON intrinsics (it only checks that arm_neon.h exists) and gcc refuses them.
        // The NDK compiles armeabi-v7a with NEON on (its default since r21), so this builds
        // what a phone runs; libopus still checks NEON at run time.
        cflags: "-march=armv7-a -mfpu=neon",
    },
];

impl Arch {
    fn env_suffix(&self) -> String {
        self.triple.to_uppercase().replace('-', "_")
    }

    fn cc_suffix(&self) -> String {
        self.triple.replace('-', "_")
    }

    /// For cargo inside the chroot: Debian's cross gcc links and compiles the C codecs.
    fn build_env(&self) -> Vec<(String, String)> {
        let gcc = format!("{}-gcc", self.gnu);
        let mut vars = vec![
            (
                format!("CARGO_TARGET_{}_LINKER", self.env_suffix()),
                gcc.clone(),
            ),
            (format!("CC_{}", self.cc_suffix()), gcc),
            (
                format!("CXX_{}", self.cc_suffix()),
                format!("{}-g++", self.gnu),
            ),
        ];
        if !self.cflags.is_empty() {
            vars.push((format!("CFLAGS_{}", self.cc_suffix()), self.cflags.into()));
            vars.push((format!("CXXFLAGS_{}", self.cc_suffix()), self.cflags.into()));
        }
        vars
    }
}

pub struct ArmToolchain {
    chroot: Chroot,
}

impl ArmToolchain {
    pub fn android_jar(&self) -> PathBuf {
        self.chroot.root.join(ANDROID_JAR)
    }

    /// The emulator and the target's libraries, as a command line that runs one of its binaries
    /// on the host.
    fn runner(&self, arch: &Arch) -> Vec<PathBuf> {
        vec![
            self.chroot.root.join("usr/bin").join(arch.qemu),
            "-L".into(),
            self.chroot.root.join("usr").join(arch.gnu),
        ]
    }
}

/// Installs debootstrap if needed and builds the chroot once; later runs reuse it.
pub fn ensure_toolchain(ws: &Workspace, apt: &mut Apt) -> Result<ArmToolchain, String> {
    if !is_root() {
        return Err("the ARM chroot needs root (debootstrap, mount, chroot)".into());
    }
    let chroot = Chroot::new(ws.tools_dir().join("arm").join(SUITE), SUITE, &PACKAGES)
        .with_foreign_architectures(&FOREIGN);
    Ok(ArmToolchain {
        chroot: chroot.ensure(apt)?,
    })
}

/// One test binary of one target, as cargo built it.
#[derive(Debug, PartialEq, Eq)]
struct TestBinary {
    triple: String,
    /// The test target's name (`signalling`, or the crate's for unit tests).
    name: String,
    path: PathBuf,
    /// cargo runs a test with its package's directory as the working directory.
    package_dir: PathBuf,
}

pub fn run_phase(ws: &Workspace, toolchain: &ArmToolchain, report: &mut Report) {
    let start = Instant::now();
    let built = report.step(
        "arm: build the tests for aarch64 and armv7 (sid chroot)",
        || build(ws, toolchain),
    );
    match built {
        None => report.skip("arm: tests under qemu", "the cross build failed"),
        Some(binaries) => {
            report.step(
                "arm: aarch64 and armv7 tests under qemu, side by side",
                || run_both(ws, toolchain, &binaries),
            );
            for (binary, why) in LEFT_OUT {
                report.skip(&format!("arm: {binary} under qemu"), why);
            }
        }
    }
    println!("==> ARM phase: {}", secs(start.elapsed()));
}

/// Most tests wait on timers and sockets more than they compute, even emulated, so the two
/// targets' runs share the machine well: each target's binaries one after another, the two
/// targets at once, each binary's output in its own log.
fn run_both(
    ws: &Workspace,
    toolchain: &ArmToolchain,
    binaries: &[TestBinary],
) -> Result<(), String> {
    let logs = cross_dir(ws).join("logs");
    let outcomes: Vec<Result<String, String>> = std::thread::scope(|scope| {
        let runs: Vec<_> = ARCHES
            .iter()
            .map(|arch| scope.spawn(|| run_tests(toolchain, arch, binaries, &logs)))
            .collect();
        runs.into_iter()
            .map(|run| {
                run.join()
                    .unwrap_or_else(|_| Err("the test run panicked".into()))
            })
            .collect()
    });
    let mut failures = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(summary) => println!("{summary}"),
            Err(e) => failures.push(e),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

fn build(ws: &Workspace, toolchain: &ArmToolchain) -> Result<Vec<TestBinary>, String> {
    let _mounts = mount_workspace(ws, toolchain)?;
    let test = ["test", "--locked", "--no-run"];
    run_with_timeout(&mut cargo(ws, toolchain, &test), BUILD_LIMIT)?;
    // The same command again is a no-op build that lists what it built.
    let listed = cargo(
        ws,
        toolchain,
        &[&test[..], &["--message-format=json"]].concat(),
    )
    .output()
    .map_err(|e| format!("cannot list the test binaries: {e}"))?;
    process::succeeded("cargo test --no-run --message-format=json", listed.status)?;
    let binaries = test_binaries(&String::from_utf8_lossy(&listed.stdout));
    if binaries.is_empty() {
        return Err("cargo built no test binary".into());
    }
    Ok(binaries)
}

/// The bindings library as an app ships it (the release profile strips it), per ARM target.
pub fn release_library_sizes(
    ws: &Workspace,
    toolchain: &ArmToolchain,
) -> Result<Vec<(&'static Arch, u64)>, String> {
    let _mounts = mount_workspace(ws, toolchain)?;
    let build = [
        "build",
        "--release",
        "--locked",
        "-p",
        "omni-jitsi-meet",
        "--lib",
    ];
    run_with_timeout(&mut cargo(ws, toolchain, &build), RELEASE_LIMIT)?;
    ARCHES
        .iter()
        .map(|arch| {
            let lib = cross_dir(ws)
                .join(arch.triple)
                .join("release/libomni_jitsi_meet.so");
            let bytes = std::fs::metadata(&lib)
                .map_err(|e| format!("cannot stat {}: {e}", lib.display()))?
                .len();
            Ok((arch, bytes))
        })
        .collect()
}

/// The workspace at its own path inside, so the paths cargo prints hold outside too, and the
/// host's downloaded crates, so the chroot fetches nothing the host already has.
fn mount_workspace(ws: &Workspace, toolchain: &ArmToolchain) -> Result<Mounts, String> {
    let chroot = &toolchain.chroot;
    let mut mounts = chroot.enter(Some(&ws.root))?;
    let registry = cargo_home().join("registry");
    if registry.is_dir() {
        mounts.bind(&registry, &chroot.root.join("root/.cargo/registry"))?;
    }
    Ok(mounts)
}

fn cross_dir(ws: &Workspace) -> PathBuf {
    ws.target.join("cross")
}

/// cargo in the chroot, for both targets, into target/cross. For the default members: xtask is
/// a host tool. No debug info: with it the two targets' test binaries took 15 GB.
fn cargo(ws: &Workspace, toolchain: &ArmToolchain, args: &[&str]) -> Command {
    let mut env: Vec<(String, String)> = vec![
        (
            "CARGO_TARGET_DIR".into(),
            cross_dir(ws).display().to_string(),
        ),
        ("CARGO_PROFILE_DEV_DEBUG".into(), "0".into()),
        ("CARGO_PROFILE_TEST_DEBUG".into(), "0".into()),
        ("CARGO_INCREMENTAL".into(), "0".into()),
    ];
    for arch in &ARCHES {
        env.extend(arch.build_env());
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let root = ws.root.display().to_string();
    let mut all = vec!["-C", &root, "cargo"];
    all.extend(args);
    for arch in &ARCHES {
        all.extend(["--target", arch.triple]);
    }
    toolchain.chroot.command(&env, "/usr/bin/env", all)
}

fn cargo_home() -> PathBuf {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env::var_os("HOME").unwrap_or_default()).join(".cargo"))
}

/// Test executables from cargo's JSON messages.
fn test_binaries(messages: &str) -> Vec<TestBinary> {
    let mut found: Vec<TestBinary> = messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["profile"]["test"] == true)
        .filter_map(|m| {
            let path = PathBuf::from(m["executable"].as_str()?);
            let manifest = PathBuf::from(m["manifest_path"].as_str()?);
            let triple = path
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .find(|c| ARCHES.iter().any(|a| a.triple == c))?;
            Some(TestBinary {
                triple,
                name: m["target"]["name"].as_str()?.to_string(),
                path,
                package_dir: manifest.parent()?.to_path_buf(),
            })
        })
        .collect();
    found.sort_by(|a, b| (&a.triple, &a.name).cmp(&(&b.triple, &b.name)));
    found
}

/// One target's test binaries in turn; a line for each, and a failed one's log shown whole.
fn run_tests(
    toolchain: &ArmToolchain,
    arch: &Arch,
    binaries: &[TestBinary],
    logs: &Path,
) -> Result<String, String> {
    let start = Instant::now();
    let runner = toolchain.runner(arch);
    let shown_runner: Vec<String> = runner.iter().map(|p| p.display().to_string()).collect();
    let mut passed = 0;
    let mut ran = 0;
    let mut failed = Vec::new();
    for binary in binaries.iter().filter(|b| b.triple == arch.triple) {
        if LEFT_OUT.iter().any(|(name, _)| *name == binary.name) {
            continue;
        }
        let log = logs.join(arch.triple).join(format!("{}.log", binary.name));
        let mut cmd = Command::new(&runner[0]);
        cmd.args(&runner[1..])
            .arg(&binary.path)
            .current_dir(&binary.package_dir)
            // A test that starts another of the package's binaries (the CLI's) runs it the
            // same way.
            .env("OMNI_JITSI_TEST_RUNNER", shown_runner.join(" "));
        let took = Instant::now();
        let outcome = run_watched_into(
            &mut cmd,
            TEST_LIMIT,
            Libtest::default(),
            &log,
            |status, seen| Ok((status.success(), seen.passed())),
        );
        ran += 1;
        let verdict = match outcome {
            Ok((true, n)) => {
                passed += n;
                format!("ok, {n} passed")
            }
            Ok((false, n)) => {
                passed += n;
                failed.push(binary.name.clone());
                format!("FAILED ({n} passed)")
            }
            Err(e) => {
                failed.push(binary.name.clone());
                format!("FAILED: {e}")
            }
        };
        println!(
            "{}: {} {verdict} ({})",
            arch.triple,
            binary.name,
            secs(took.elapsed())
        );
        if verdict.starts_with("FAILED") {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            println!(
                "---- {} ----\n{text}---- end of {} ----",
                log.display(),
                log.display()
            );
        }
    }
    let summary = format!(
        "{}: {passed} tests passed in {ran} binaries, {}",
        arch.triple,
        secs(start.elapsed())
    );
    if ran == 0 {
        return Err(format!("no test binary was built for {}", arch.triple));
    }
    match failed.as_slice() {
        [] => Ok(summary),
        failed => Err(format!(
            "{summary}; {} failed: {}",
            failed.len(),
            failed.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_executables_are_found_per_target_with_their_package() {
        let messages = r#"{"reason":"compiler-artifact","package_id":"x","manifest_path":"/w/testbed/Cargo.toml","target":{"name":"signalling","kind":["test"]},"profile":{"test":true},"executable":"/w/target/cross/armv7-unknown-linux-gnueabihf/debug/deps/signalling-ab"}
{"reason":"compiler-artifact","manifest_path":"/w/core/Cargo.toml","target":{"name":"omni_jitsi_core","kind":["lib"]},"profile":{"test":false},"executable":null}
{"reason":"compiler-artifact","manifest_path":"/w/core/Cargo.toml","target":{"name":"omni_jitsi_core","kind":["lib"]},"profile":{"test":true},"executable":"/w/target/cross/aarch64-unknown-linux-gnu/debug/deps/omni_jitsi_core-cd"}
{"reason":"build-finished","success":true}
not json"#;
        let found = test_binaries(messages);
        assert_eq!(
            found,
            [
                TestBinary {
                    triple: "aarch64-unknown-linux-gnu".into(),
                    name: "omni_jitsi_core".into(),
                    path: "/w/target/cross/aarch64-unknown-linux-gnu/debug/deps/omni_jitsi_core-cd"
                        .into(),
                    package_dir: "/w/core".into(),
                },
                TestBinary {
                    triple: "armv7-unknown-linux-gnueabihf".into(),
                    name: "signalling".into(),
                    path: "/w/target/cross/armv7-unknown-linux-gnueabihf/debug/deps/signalling-ab"
                        .into(),
                    package_dir: "/w/testbed".into(),
                },
            ]
        );
    }

    #[test]
    fn armv7_builds_c_for_neon_as_the_ndk_does() {
        let armv7 = ARCHES.iter().find(|a| a.abi == "armeabi-v7a").unwrap();
        let env = armv7.build_env();
        assert!(env.contains(&(
            "CFLAGS_armv7_unknown_linux_gnueabihf".into(),
            "-march=armv7-a -mfpu=neon".into()
        )));
        assert!(env.contains(&(
            "CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER".into(),
            "arm-linux-gnueabihf-gcc".into()
        )));
    }
}
