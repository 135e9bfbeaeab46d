//! Installing what the commands need on a fresh Debian machine. `demo` and `test` share one
//! start, `ensure_base`, run before anything is built: cmake and a C/C++ toolchain for the media
//! codecs, and Prosody for the local testbed. `test` then adds a JVM with JNA and JUnit, the
//! Kotlin compiler (from npm, the one registry here that carries it), the Swift toolchain (a
//! trixie chroot, see `swift`) and Chromium (see `browser`).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::apt::Apt;
use crate::arm::{self, ArmToolchain};
use crate::browser::{self, BrowserTools};
use crate::process::{run, which};
use crate::report::Report;
use crate::swift::{self, SwiftToolchain};
use crate::workspace::Workspace;

pub const PROSODY: &str = "/usr/bin/prosody";
const JNA: &str = "/usr/share/java/jna.jar";
const JUNIT: &str = "/usr/share/java/junit4.jar";
const HAMCREST: &str = "/usr/share/java/hamcrest-core.jar";
const KOTLIN_PACKAGE: &str = "kotlin-compiler@2.4.20";
const KOTLIN_TARBALL: &str = "kotlin-compiler-2.4.20.tgz";
/// From the npm package's lib/: three to compile the tests against, the stdlib to run them.
const KOTLIN_JARS: [&str; 4] = [
    "kotlinx-coroutines-core-jvm.jar",
    "kotlin-test.jar",
    "kotlin-test-junit.jar",
    "kotlin-stdlib.jar",
];

pub struct KotlinTools {
    pub kotlinc: PathBuf,
    pub lib: PathBuf,
}

impl KotlinTools {
    /// What the test sources compile against.
    pub fn compile_classpath(&self) -> Vec<PathBuf> {
        let mut jars: Vec<PathBuf> = KOTLIN_JARS[..3].iter().map(|j| self.lib.join(j)).collect();
        jars.push(JNA.into());
        jars.push(JUNIT.into());
        jars
    }

    /// What the SDK's Kotlin needs beside the platform's classes, on Android as on the JVM.
    pub fn sdk_libraries(&self) -> Vec<PathBuf> {
        vec![self.lib.join(KOTLIN_JARS[0]), JNA.into()]
    }

    /// kotlinc adds the stdlib itself; java does not, and JUnit needs hamcrest at run time.
    pub fn run_classpath(&self) -> Vec<PathBuf> {
        let mut jars = self.compile_classpath();
        jars.push(self.lib.join(KOTLIN_JARS[3]));
        jars.push(HAMCREST.into());
        jars
    }

    /// Only what npm provides: the apt jars are `ensure_jvm`'s business.
    fn missing(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = KOTLIN_JARS.iter().map(|j| self.lib.join(j)).collect();
        files.push(self.kotlinc.clone());
        files.into_iter().filter(|p| !p.is_file()).collect()
    }
}

pub struct Tools {
    pub prosody: Result<(), String>,
    pub kotlin: Result<KotlinTools, String>,
    pub swift: Result<SwiftToolchain, String>,
    pub arm: Result<ArmToolchain, String>,
    pub browser: Result<BrowserTools, String>,
}

/// Each tool is a step; outside CI a tool that cannot be installed is a skip, not a failure.
pub fn ensure(ws: &Workspace, report: &mut Report, want: Wanted, ci: bool) -> Tools {
    let fatal = ci;
    let mut apt = Apt::default();
    // Without the codecs' toolchain the build fails anyway, and says why; Prosody's absence
    // only narrows `cargo test` to the unit tests.
    let prosody = ensure_base(report, &mut apt, Server::Local, fatal).prosody;
    let kotlin = if want.kotlin {
        let jvm = report.step_or_skip("ensure java, JNA, JUnit", fatal, || ensure_jvm(&mut apt));
        let kotlinc = report.step_or_skip("ensure kotlinc", fatal, || ensure_kotlinc(ws, &mut apt));
        match (jvm, kotlinc) {
            (Some(()), Some(k)) => Ok(k),
            (None, _) => Err("java, JNA or JUnit is not installed".to_string()),
            (_, None) => Err("the Kotlin compiler is not installed".to_string()),
        }
    } else {
        Err("--skip-kotlin".to_string())
    };
    let swift = if want.swift {
        report
            .step_or_skip("ensure swift (trixie chroot)", fatal, || {
                swift::ensure_toolchain(ws, &mut apt)
            })
            .ok_or_else(|| "the Swift toolchain is not set up".to_string())
    } else {
        Err("--skip-swift".to_string())
    };
    let arm = if want.arm {
        report
            .step_or_skip(
                "ensure rustc, cross gcc, qemu-user, android.jar (sid chroot)",
                fatal,
                || arm::ensure_toolchain(ws, &mut apt),
            )
            .ok_or_else(|| "the ARM toolchain is not set up".to_string())
    } else {
        Err("not asked for".to_string())
    };
    let browser = if want.browser {
        report
            .step_or_skip("ensure chromium, node, lib-jitsi-meet", fatal, || {
                browser::ensure(ws, &mut apt)
            })
            .ok_or_else(|| "Chromium, node or lib-jitsi-meet is not installed".to_string())
    } else {
        Err("--skip-browser".to_string())
    };
    Tools {
        prosody,
        kotlin,
        swift,
        arm,
        browser,
    }
}

/// The optional toolchains a run asks for.
pub struct Wanted {
    pub kotlin: bool,
    pub swift: bool,
    pub arm: bool,
    pub browser: bool,
}

/// Whether a command runs the local testbed (and so needs Prosody) or joins a deployment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Local,
    Remote,
}

/// What `ensure_base` found: each `Err` says what is missing and which Debian package has it.
pub struct Base {
    pub codecs: Result<(), String>,
    /// `Ok` too when the testbed is not wanted.
    pub prosody: Result<(), String>,
}

impl Base {
    /// The first thing missing, for a command that cannot go on without it.
    pub fn ready(self) -> Result<(), String> {
        self.codecs.and(self.prosody)
    }
}

/// The set-up `demo` and `test` share, before they build anything: libopus is built from
/// source with cmake and make (no system libopus is assumed, as on Android/iOS), OpenH264 with
/// the cc crate, which needs a C++ compiler; the local testbed runs Prosody.
pub fn ensure_base(report: &mut Report, apt: &mut Apt, server: Server, fatal: bool) -> Base {
    let codecs = step(
        report,
        "ensure cmake, make, cc, c++ (Opus, OpenH264)",
        fatal,
        || ensure_commands(apt, CODEC_TOOLCHAIN),
    );
    let prosody = match server {
        Server::Remote => Ok(()),
        Server::Local => step(report, "ensure prosody", fatal, || ensure_prosody(apt)),
    };
    Base { codecs, prosody }
}

/// A report step that keeps its error for the caller.
fn step(
    report: &mut Report,
    name: &str,
    fatal: bool,
    f: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
    let mut reason = String::new();
    report
        .step_or_skip(name, fatal, || f().inspect_err(|e| reason = e.clone()))
        .ok_or(reason)
}

/// Commands and the Debian packages that provide them.
const CODEC_TOOLCHAIN: &[(&str, &str)] = &[
    ("cmake", "cmake"),
    ("make", "make"),
    ("cc", "gcc"),
    ("c++", "g++"),
];

fn ensure_prosody(apt: &mut Apt) -> Result<(), String> {
    if Path::new(PROSODY).is_file() {
        println!("{PROSODY} is installed");
        return Ok(());
    }
    apt.install(&["prosody"])?;
    if Path::new(PROSODY).is_file() {
        Ok(())
    } else {
        Err(format!(
            "the Debian package prosody is installed but {PROSODY} is missing"
        ))
    }
}

fn ensure_commands(apt: &mut Apt, commands: &[(&str, &str)]) -> Result<(), String> {
    let packages: Vec<&str> = missing_commands(commands).map(|(_, p)| p).collect();
    if packages.is_empty() {
        let names: Vec<&str> = commands.iter().map(|(c, _)| *c).collect();
        println!("{} are installed", names.join(", "));
        return Ok(());
    }
    apt.install(&packages)?;
    match missing_commands(commands).next() {
        Some((command, package)) => Err(format!(
            "{command} is still not on PATH after installing the Debian package {package}"
        )),
        None => Ok(()),
    }
}

fn missing_commands<'a>(
    commands: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = (&'a str, &'a str)> {
    commands
        .iter()
        .copied()
        .filter(|(command, _)| which(command).is_none())
}

fn ensure_jvm(apt: &mut Apt) -> Result<(), String> {
    let mut packages = Vec::new();
    if which("java").is_none() {
        packages.push("default-jre-headless");
    }
    if [JNA, JUNIT, HAMCREST]
        .iter()
        .any(|j| !Path::new(j).is_file())
    {
        packages.extend(["libjna-java", "junit4"]);
    }
    if packages.is_empty() {
        println!("java, {JNA}, {JUNIT} are installed");
        return Ok(());
    }
    apt.install(&packages)?;
    if which("java").is_none() {
        return Err("java is still not on PATH".into());
    }
    match [JNA, JUNIT, HAMCREST]
        .iter()
        .find(|j| !Path::new(j).is_file())
    {
        Some(j) => Err(format!("{j} is still missing after apt-get install")),
        None => Ok(()),
    }
}

fn ensure_kotlinc(ws: &Workspace, apt: &mut Apt) -> Result<KotlinTools, String> {
    let dir = ws.tools_dir().join("kotlin");
    let package = dir.join("package");
    let tools = KotlinTools {
        kotlinc: package.join("bin/kotlinc"),
        lib: package.join("lib"),
    };
    if tools.missing().is_empty() {
        println!("{} is installed", tools.kotlinc.display());
        return Ok(tools);
    }
    if which("npm").is_none() {
        apt.install(&["npm"])?;
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // A half-extracted package from an interrupted run would otherwise pass for installed.
    if package.exists() {
        fs::remove_dir_all(&package)
            .map_err(|e| format!("cannot remove {}: {e}", package.display()))?;
    }
    run(std::process::Command::new("npm")
        .args(["pack", KOTLIN_PACKAGE])
        .current_dir(&dir))?;
    run(std::process::Command::new("tar")
        .args(["xzf", KOTLIN_TARBALL])
        .current_dir(&dir))?;
    let _ = fs::remove_file(dir.join(KOTLIN_TARBALL));
    make_executable(&package.join("bin"))?;
    match tools.missing().as_slice() {
        [] => Ok(tools),
        missing => Err(format!(
            "{KOTLIN_PACKAGE} is installed but lacks {}",
            join_paths(missing, ", ")
        )),
    }
}

/// npm tarballs do not keep the executable bit.
fn make_executable(dir: &Path) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let mut perms = fs::metadata(&path)
            .map_err(|e| format!("cannot stat {}: {e}", path.display()))?
            .permissions();
        perms.set_mode(perms.mode() | 0o755);
        fs::set_permissions(&path, perms)
            .map_err(|e| format!("cannot chmod {}: {e}", path.display()))?;
    }
    Ok(())
}

pub fn join_paths(paths: &[PathBuf], sep: &str) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(sep)
}
