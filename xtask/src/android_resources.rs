//! The app's `R` class, declared from its `res/` folder as aapt would, so that its Kotlin compiles
//! without the Android build tools: a name the code uses but no resource declares fails the
//! compile, as it would in Gradle. The numbers are not aapt's; nothing compiled here runs.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The kinds the app uses: layouts by file name, ids from `@+id/` in layouts, strings from
/// `values/`.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Resources {
    layout: BTreeSet<String>,
    id: BTreeSet<String>,
    string: BTreeSet<String>,
}

impl Resources {
    pub fn read(res: &Path) -> Result<Resources, String> {
        let mut found = Resources::default();
        for file in xml_files(&res.join("layout"))? {
            let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            found.layout.insert(name.to_string());
            found.add_layout(&read(&file)?);
        }
        for file in xml_files(&res.join("values"))? {
            found.add_values(&read(&file)?);
        }
        Ok(found)
    }

    fn add_layout(&mut self, xml: &str) {
        self.id.extend(names_after(xml, "\"@+id/", '"'));
    }

    fn add_values(&mut self, xml: &str) {
        self.string.extend(names_after(xml, "<string name=\"", '"'));
    }

    pub fn kotlin(&self, package: &str) -> String {
        let mut out = format!("package {package}\n\nobject R {{\n");
        // aapt's type ids start at 0x7f01; each kind gets its own so no two names share a number.
        for (kind, (name, names)) in [
            ("id", &self.id),
            ("layout", &self.layout),
            ("string", &self.string),
        ]
        .into_iter()
        .enumerate()
        {
            out += &format!("    object {name} {{\n");
            for (entry, resource) in names.iter().enumerate() {
                let value = 0x7f01_0000 + (kind << 16) + entry;
                out += &format!("        const val {resource} = 0x{value:08x}\n");
            }
            out += "    }\n";
        }
        out + "}\n"
    }
}

fn names_after<'a>(xml: &'a str, marker: &'a str, end: char) -> impl Iterator<Item = String> + 'a {
    xml.split(marker)
        .skip(1)
        .filter_map(move |rest| rest.split(end).next())
        .map(str::to_string)
}

fn xml_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "xml") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read(file: &Path) -> Result<String, String> {
    fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_layouts_and_strings_from_values() {
        let mut found = Resources::default();
        found.layout.insert("activity_main".into());
        found.add_layout(
            r#"<LinearLayout android:id="@+id/root"><Button android:id="@+id/join"
                android:text="@string/join" /><View android:layout_below="@id/join" /></LinearLayout>"#,
        );
        found.add_values(r#"<resources><string name="join">Join</string></resources>"#);
        let kotlin = found.kotlin("org.example");
        assert!(kotlin.starts_with("package org.example\n\nobject R {\n"));
        for line in [
            "    object id {\n        const val join = 0x7f010000\n        const val root = 0x7f010001\n    }",
            "    object layout {\n        const val activity_main = 0x7f020000\n    }",
            "    object string {\n        const val join = 0x7f030000\n    }",
        ] {
            assert!(kotlin.contains(line), "{kotlin}");
        }
    }
}
