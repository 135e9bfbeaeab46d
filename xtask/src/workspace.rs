//! Where things are: the repository, the shared target directory and the tools cached in it.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Workspace {
    pub root: PathBuf,
    pub target: PathBuf,
}

impl Workspace {
    pub fn locate() -> Workspace {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest.parent().unwrap_or(manifest).to_path_buf();
        // Honour a relocated target dir, or we would look for binaries cargo never wrote.
        let target = match env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        Workspace { root, target }
    }

    pub fn debug_dir(&self) -> PathBuf {
        self.target.join("debug")
    }

    pub fn debug_bin(&self, name: &str) -> PathBuf {
        self.debug_dir()
            .join(format!("{name}{}", env::consts::EXE_SUFFIX))
    }

    /// The bindings cdylib as the host names it; UniFFI reads the interface from it.
    pub fn host_bindings_lib(&self) -> PathBuf {
        self.debug_dir().join(format!(
            "{}omni_jitsi_meet{}",
            env::consts::DLL_PREFIX,
            env::consts::DLL_SUFFIX
        ))
    }

    /// Cached downloads live under target/ so `cargo clean` is the one way to reset everything.
    pub fn tools_dir(&self) -> PathBuf {
        self.target.join("tools")
    }

    /// Cargo as it launched us (the same toolchain), run from the repository root.
    pub fn cargo(&self) -> Command {
        let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let mut cmd = Command::new(cargo);
        cmd.current_dir(&self.root);
        cmd
    }

    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root);
        cmd
    }
}

pub fn is_ci() -> bool {
    env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}
