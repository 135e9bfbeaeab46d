//! A Debian chroot under target/tools: created once by debootstrap, recognised as complete by a
//! marker written last, and entered with bind mounts that are always taken down again.
//!
//! Mounts matter more than usual here: while the workspace is bind-mounted inside target/, a
//! `cargo clean` or `rm -rf target` would delete the sources (and /dev) through the mount. So
//! mounts live in a guard that unmounts on drop, termination signals are held back while it
//! lives, and every entry first removes mounts a killed run left behind.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::apt::Apt;
use crate::process::{run, succeeds, which};
use crate::signals::DeferSignals;

const MIRROR: &str = "http://deb.debian.org/debian";
const MARKER: &str = ".omni-jitsi-complete";
const LOCAL_CERTIFICATES: &str = "/usr/local/share/ca-certificates";
const PATH: &str = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

pub struct Chroot {
    pub root: PathBuf,
    suite: &'static str,
    packages: &'static [&'static str],
    /// Debian architectures besides the host's, for packages such as `libstd-rust-dev:arm64`.
    foreign: &'static [&'static str],
}

impl Chroot {
    pub fn new(root: PathBuf, suite: &'static str, packages: &'static [&'static str]) -> Chroot {
        Chroot {
            root,
            suite,
            packages,
            foreign: &[],
        }
    }

    pub fn with_foreign_architectures(mut self, foreign: &'static [&'static str]) -> Chroot {
        self.foreign = foreign;
        self
    }

    /// What the marker records: a chroot made for another suite or package list is rebuilt.
    fn recipe(&self) -> String {
        let foreign = if self.foreign.is_empty() {
            String::new()
        } else {
            format!(" (+{})", self.foreign.join(", "))
        };
        format!("{}{foreign}: {}\n", self.suite, self.packages.join(" "))
    }

    fn marker(&self) -> PathBuf {
        self.root.join(MARKER)
    }

    pub fn is_complete(&self) -> bool {
        fs::read_to_string(self.marker()).is_ok_and(|m| m == self.recipe())
    }

    /// The cached chroot, or a new one (installing debootstrap first if needed).
    pub fn ensure(self, apt: &mut Apt) -> Result<Chroot, String> {
        if self.is_complete() {
            println!("{} is complete", self.root.display());
            return Ok(self);
        }
        if which("debootstrap").is_none() && !Path::new("/usr/sbin/debootstrap").is_file() {
            apt.install(&["debootstrap"])?;
        }
        self.create()?;
        Ok(self)
    }

    /// debootstrap, then apt-get inside; the marker is written only when both succeeded.
    fn create(&self) -> Result<(), String> {
        unmount_stale(&self.root)?;
        // A half-made root from an interrupted run would otherwise confuse debootstrap.
        if self.root.exists() {
            fs::remove_dir_all(&self.root)
                .map_err(|e| format!("cannot remove {}: {e}", self.root.display()))?;
        }
        if let Some(parent) = self.root.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        run(Command::new("debootstrap")
            .args(["--variant=minbase", self.suite])
            .arg(&self.root)
            .arg(MIRROR))?;
        let resolv = self.root.join("etc/resolv.conf");
        // debootstrap may leave a dangling symlink there, which fs::copy would follow.
        let _ = fs::remove_file(&resolv);
        fs::copy("/etc/resolv.conf", &resolv)
            .map_err(|e| format!("cannot copy /etc/resolv.conf into the chroot: {e}"))?;

        trust_local_certificates(&self.root)?;
        accept_expired_release_files(&self.root)?;

        let _mounts = self.enter(None)?;
        for arch in self.foreign {
            run(&mut self.command(&[], "dpkg", ["--add-architecture", arch]))?;
        }
        let apt = [("DEBIAN_FRONTEND", "noninteractive")];
        run(&mut self.command(&apt, "apt-get", ["update"]))?;
        let mut install = self.command(
            &apt,
            "apt-get",
            ["install", "-y", "--no-install-recommends"],
        );
        run(install.args(self.packages))?;
        run(&mut self.command(&apt, "apt-get", ["clean"]))?;
        fs::write(self.marker(), self.recipe())
            .map_err(|e| format!("cannot write {}: {e}", self.marker().display()))
    }

    /// Mounts /dev, /proc and, when given, `share` at the same path inside, so paths printed
    /// by tools in the chroot are valid outside too.
    pub fn enter(&self, share: Option<&Path>) -> Result<Mounts, String> {
        unmount_stale(&self.root)?;
        let mut mounts = Mounts::new();
        mounts.bind(Path::new("/dev"), &self.root.join("dev"))?;
        mounts.proc(&self.root.join("proc"))?;
        if let Some(dir) = share {
            let inside = self.root.join(dir.strip_prefix("/").unwrap_or(dir));
            mounts.bind(dir, &inside)?;
        }
        Ok(mounts)
    }

    /// `program` inside the chroot with a clean environment: only `env` and a PATH, so the
    /// host's cargo and toolchain variables do not leak into another distribution's tools.
    /// A PATH in `env` replaces the default one (env applies assignments in order).
    pub fn command<I, S>(&self, env: &[(&str, &str)], program: &str, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new("chroot");
        cmd.arg(&self.root)
            .args(["/usr/bin/env", "-i", PATH, "HOME=/root", "LANG=C.UTF-8"])
            .args(env.iter().map(|(k, v)| format!("{k}={v}")))
            .arg(program)
            .args(args);
        cmd
    }
}

/// The chroot shares the host's network, so it needs the host's trust in it too: where a proxy
/// re-signs TLS, its CA is among the administrator's certificates, which the ca-certificates
/// package (when installed inside) adds to the bundle that apt, cargo and node use.
fn trust_local_certificates(root: &Path) -> Result<(), String> {
    let local = Path::new(LOCAL_CERTIFICATES);
    if !local.is_dir() {
        return Ok(());
    }
    let inside = root.join(LOCAL_CERTIFICATES.trim_start_matches('/'));
    fs::create_dir_all(&inside).map_err(|e| format!("cannot create {}: {e}", inside.display()))?;
    run(Command::new("cp")
        .arg("-a")
        .arg(local.join("."))
        .arg(&inside))
}

/// sid's Release file on the mirror reached from here is past its Valid-Until date, which apt
/// refuses by default; the packages are still checked against the signed file's hashes.
fn accept_expired_release_files(root: &Path) -> Result<(), String> {
    let conf = root.join("etc/apt/apt.conf.d/99omni-jitsi");
    fs::write(&conf, "Acquire::Check-Valid-Until \"false\";\n")
        .map_err(|e| format!("cannot write {}: {e}", conf.display()))
}

/// Mount points, unmounted in reverse order on drop. Lazily if busy (a process a killed test
/// left behind): that detaches them from the tree at once, which is what protects the sources.
pub struct Mounts {
    points: Vec<PathBuf>,
    _signals: DeferSignals,
}

impl Mounts {
    pub fn new() -> Mounts {
        Mounts {
            points: Vec::new(),
            _signals: DeferSignals::install(),
        }
    }

    pub fn bind(&mut self, from: &Path, to: &Path) -> Result<(), String> {
        self.mount(Command::new("mount").arg("--bind").arg(from), to)
    }

    pub fn bind_read_only(&mut self, from: &Path, to: &Path) -> Result<(), String> {
        self.bind(from, to)?;
        // A bind mount takes its flags only from a second, remounting call.
        run(Command::new("mount")
            .args(["-o", "remount,bind,ro"])
            .arg(to))
    }

    fn proc(&mut self, to: &Path) -> Result<(), String> {
        self.mount(Command::new("mount").args(["-t", "proc", "proc"]), to)
    }

    /// A filesystem with no source, such as `tmpfs` or `sysfs`, with its own options.
    pub fn fresh(&mut self, kind: &str, options: &str, to: &Path) -> Result<(), String> {
        self.mount(
            Command::new("mount").args(["-t", kind, "-o", options, kind]),
            to,
        )
    }

    /// `to` shows `lower` with every change written to `upper` instead (`work` is overlayfs'
    /// scratch space, on the same filesystem as `upper`).
    pub fn overlay(
        &mut self,
        lower: &Path,
        upper: &Path,
        work: &Path,
        to: &Path,
    ) -> Result<(), String> {
        for dir in [upper, work] {
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let options = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.display(),
            upper.display(),
            work.display()
        );
        self.mount(
            Command::new("mount").args(["-t", "overlay", "overlay", "-o", &options]),
            to,
        )
    }

    /// Runs `mount` (all but its mount point) onto `to`, recorded for the unmount on drop.
    fn mount(&mut self, mount: &mut Command, to: &Path) -> Result<(), String> {
        fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
        run(mount.arg(to))?;
        self.points.push(to.to_path_buf());
        Ok(())
    }
}

impl Drop for Mounts {
    fn drop(&mut self) {
        for point in self.points.drain(..).rev() {
            if let Err(e) = unmount(&point) {
                eprintln!("xtask: {e}");
            }
        }
    }
}

fn unmount(point: &Path) -> Result<(), String> {
    if succeeds(Command::new("umount").arg(point))
        || succeeds(Command::new("umount").arg("-l").arg(point))
    {
        Ok(())
    } else {
        Err(format!(
            "cannot unmount {}: run `umount -l {}` before deleting target/",
            point.display(),
            point.display()
        ))
    }
}

/// Takes down whatever a killed run left mounted under `root`, deepest first.
pub fn unmount_stale(root: &Path) -> Result<(), String> {
    let table = fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("cannot read /proc/self/mountinfo: {e}"))?;
    for point in mounts_under(&table, root) {
        println!(
            "unmounting {} (left by an interrupted run)",
            point.display()
        );
        unmount(&point)?;
    }
    match mounts_under(
        &fs::read_to_string("/proc/self/mountinfo").unwrap_or_default(),
        root,
    )
    .first()
    {
        Some(left) => Err(format!("{} is still mounted", left.display())),
        None => Ok(()),
    }
}

/// Mount points strictly inside `root` from a mountinfo table, deepest first.
fn mounts_under(mountinfo: &str, root: &Path) -> Vec<PathBuf> {
    let mut points: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|p| PathBuf::from(unescape(p)))
        .filter(|p| p.starts_with(root) && p != root)
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    points.dedup();
    points
}

/// mountinfo writes space, tab, newline and backslash in paths as three-digit octal escapes.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            std::str::from_utf8(d)
                .ok()
                .and_then(|d| u8::from_str_radix(d, 8).ok())
        });
        match (bytes[i], octal) {
            (b'\\', Some(b)) => {
                out.push(b);
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
90 22 0:5 / /w/target/tools/swift/trixie/dev rw,nosuid shared:2 - devtmpfs udev rw
91 22 0:22 / /w/target/tools/swift/trixie/proc rw,relatime - proc proc rw
92 22 254:0 /w /w/target/tools/swift/trixie/w rw,relatime shared:1 - ext4 /dev/vda rw
93 92 0:5 / /w/target/tools/swift/trixie/w/target/tools/swift/trixie/dev rw - devtmpfs udev rw
94 22 254:0 /x /w/target/tools/swift/trixie-old/my\\040dir rw - ext4 /dev/vda rw
";

    #[test]
    fn finds_the_mounts_inside_the_chroot_deepest_first() {
        let found = mounts_under(TABLE, Path::new("/w/target/tools/swift/trixie"));
        assert_eq!(found.len(), 4);
        assert_eq!(
            found[0],
            Path::new("/w/target/tools/swift/trixie/w/target/tools/swift/trixie/dev")
        );
        assert!(found.contains(&PathBuf::from("/w/target/tools/swift/trixie/proc")));
        assert!(!found.contains(&PathBuf::from("/")));
    }

    #[test]
    fn a_sibling_with_the_same_prefix_is_not_inside() {
        let found = mounts_under(TABLE, Path::new("/w/target/tools/swift/trixie-old"));
        assert_eq!(
            found,
            [PathBuf::from("/w/target/tools/swift/trixie-old/my dir")]
        );
    }

    #[test]
    fn nothing_is_mounted_in_a_chroot_that_was_left_clean() {
        assert!(mounts_under(TABLE, Path::new("/elsewhere")).is_empty());
    }

    #[test]
    fn truncated_escapes_are_kept_verbatim() {
        assert_eq!(unescape("a\\04"), "a\\04");
        assert_eq!(unescape("a\\011b"), "a\tb");
    }
}
