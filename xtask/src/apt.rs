//! Installing Debian packages as the commands need them, or naming them when we cannot.

use crate::process::{run, which};

/// apt-get update is slow and only needed before the first install of a run.
#[derive(Default)]
pub struct Apt {
    updated: bool,
}

impl Apt {
    /// Every error is one line naming the Debian packages, so a user can install them by hand.
    pub fn install(&mut self, packages: &[&str]) -> Result<(), String> {
        let names = packages.join(" ");
        let Some(apt) = which("apt-get") else {
            return Err(format!(
                "missing the Debian package(s) {names}, and there is no apt-get to install them"
            ));
        };
        if !is_root() {
            return Err(format!(
                "missing the Debian package(s) {names}: run `sudo apt-get install {names}`, or xtask as root"
            ));
        }
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
        .map_err(|e| format!("could not install the Debian package(s) {names}: {e}"))
    }
}

pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail and has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
