//! Finding Kotlin sources, for the compiler and for JUnit's class list.

use std::fs;
use std::path::{Path, PathBuf};

/// Sorted, so the compiler sees the same order on every machine.
pub fn collect_kotlin(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut found = Vec::new();
    walk(dir, &mut found)?;
    found.sort();
    out.extend(found);
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "kt") {
            out.push(path);
        }
    }
    Ok(())
}
