//! Installing what the tests need on a fresh Debian machine: Prosody, cmake and a C++ compiler
//! for the media codecs, a JVM with JNA and JUnit, the Kotlin compiler (from npm, the one
//! registry here that carries it) and the Swift toolchain (a trixie chroot, see `swift`).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

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
    pub browser: Result<BrowserTools, String>,
}

/// apt-get update is slow and only needed before the first install of a run.
#[derive(Default)]
pub struct Apt {
    updated: bool,
}

impl Apt {
    pub fn install(&mut self, packages: &[&str]) -> Result<(), String> {
        let Some(apt) = which("apt-get") else {
            return Err(format!(
                "apt-get not found; install {} by hand",
                packages.join(" ")
            ));
        };
        if !self.updated {
            self.updated = true;
            // A failed update may still leave usable lists; the install says if not.
            if let Err(e) = run(std::process::Command::new(&apt).arg("update")) {
                eprintln!("xtask: {e}");
            }
        }
        run(std::process::Command::new(&apt)
            // Another apt-get on the same machine would otherwise fail this one at once.
            .args(["-o", "DPkg::Lock::Timeout=300", "install", "-y"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"))
        .map_err(|e| format!("{e} (apt-get needs root)"))
    }
}

/// Each tool is a step; outside CI a tool that cannot be installed is a skip, not a failure.
pub fn ensure(ws: &Workspace, report: &mut Report, want: Wanted, ci: bool) -> Tools {
    let fatal = ci;
    let mut apt = Apt::default();
    let prosody = report
        .step_or_skip("ensure prosody", fatal, || ensure_prosody(&mut apt))
        .ok_or_else(|| "Prosody is not installed".to_string());
    // The build itself fails without them, so this step only makes the reason readable.
    report.step_or_skip("ensure cmake, cc, c++ (Opus, OpenH264)", fatal, || {
        ensure_codec_toolchain(&mut apt)
    });
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
        browser,
    }
}

/// The optional toolchains a run asks for.
pub struct Wanted {
    pub kotlin: bool,
    pub swift: bool,
    pub browser: bool,
}

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
            "apt-get installed prosody but {PROSODY} is missing"
        ))
    }
}

/// libopus is built from source with cmake (no system libopus is assumed, as on Android/iOS)
/// and OpenH264 with the cc crate, which needs a C++ compiler.
fn ensure_codec_toolchain(apt: &mut Apt) -> Result<(), String> {
    let missing: Vec<&str> = [("cmake", "cmake"), ("cc", "gcc"), ("c++", "g++")]
        .iter()
        .filter(|(tool, _)| which(tool).is_none())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        println!("cmake, cc, c++ are installed");
        return Ok(());
    }
    apt.install(&missing)?;
    match ["cmake", "cc", "c++"].iter().find(|t| which(t).is_none()) {
        Some(tool) => Err(format!("{tool} is still not on PATH after apt-get install")),
        None => Ok(()),
    }
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
