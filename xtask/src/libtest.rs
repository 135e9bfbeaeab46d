//! Reading `cargo test` as it runs: which test binary is running, and which of its tests libtest
//! has reported as running for over 60 seconds and not finished since. Those name a hang. (With
//! one test thread libtest gives no such warning, but announces each test before running it.)

use crate::process::Watch;

#[derive(Default)]
pub struct Libtest {
    /// As cargo announces it, e.g. `tests/media.rs (target/debug/deps/media-0123abcd)`.
    binary: Option<String>,
    /// Tests of the current binary that started and have not finished: past libtest's 60 s
    /// warning, or (one test thread) announced without a verdict yet.
    slow: Vec<String>,
    /// From each binary's `test result:` line.
    passed: usize,
}

impl Libtest {
    /// Tests that passed, over every binary seen so far.
    pub fn passed(&self) -> usize {
        self.passed
    }
}

impl Watch for Libtest {
    fn line(&mut self, line: &str) {
        let line = line.trim();
        if let Some(passed) = line
            .strip_prefix("test result: ")
            .and_then(|rest| rest.split_once(" passed;"))
            .and_then(|(verdict, _)| verdict.rsplit(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
        {
            self.passed += passed;
        } else if let Some(binary) = line
            .strip_prefix("Running ")
            .or_else(|| line.strip_prefix("Doc-tests "))
        {
            self.binary = Some(binary.to_string());
            self.slow.clear();
        } else if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" seconds"))
            .and_then(|rest| rest.rsplit_once(" has been running for over "))
            .map(|(name, _)| name)
        {
            self.slow.push(name.to_string());
        } else if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" ..."))
        {
            // With one test thread libtest writes `test NAME ... ` before running it and the
            // verdict after; a hung test leaves that half line, read when its pipe closes.
            self.slow.push(name.to_string());
        } else if let Some((name, _verdict)) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.rsplit_once(" ... "))
        {
            self.slow.retain(|slow| slow != name);
        }
    }

    fn running(&self) -> Vec<String> {
        let Some(binary) = &self.binary else {
            return vec!["no test binary had started (still building?)".to_string()];
        };
        if self.slow.is_empty() {
            return vec![format!(
                "{binary} (no test in it had run for 60 s; libtest names those)"
            )];
        }
        self.slow
            .iter()
            .map(|test| format!("{test} in {binary}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(lines: &str) -> Libtest {
        let mut watch = Libtest::default();
        for line in lines.lines() {
            watch.line(line);
        }
        watch
    }

    #[test]
    fn a_test_past_the_warning_that_never_finished_is_named_with_its_binary() {
        let seen = watch(
            "     Running tests/conference_bridge.rs (target/debug/deps/conference_bridge-1f2e)\n\
             running 3 tests\n\
             test three_hear_each_other ... ok\n\
             test camera_stops_when_nobody_watches has been running for over 60 seconds\n\
             test five_hear_each_other has been running for over 60 seconds\n\
             test five_hear_each_other ... ok\n",
        );
        assert_eq!(
            seen.running(),
            [
                "camera_stops_when_nobody_watches in tests/conference_bridge.rs \
              (target/debug/deps/conference_bridge-1f2e)"
            ]
        );
    }

    #[test]
    fn with_one_test_thread_the_half_written_line_names_the_test() {
        let seen = watch(
            "     Running unittests src/main.rs (target/debug/deps/omni_jitsi-77)\n\
             test parses_flags ... ok\n\
             test waits_forever ... ",
        );
        assert_eq!(
            seen.running(),
            ["waits_forever in unittests src/main.rs (target/debug/deps/omni_jitsi-77)"]
        );
    }

    #[test]
    fn slow_tests_of_an_earlier_binary_are_forgotten() {
        let seen = watch(
            "     Running tests/media.rs (target/debug/deps/media-aa)\n\
             test slow_one has been running for over 60 seconds\n\
             test slow_one ... FAILED\n\
             test other has been running for over 60 seconds\n\
             \x20  Doc-tests omni_jitsi_core\n",
        );
        assert_eq!(
            seen.running(),
            ["omni_jitsi_core (no test in it had run for 60 s; libtest names those)"]
        );
    }

    #[test]
    fn passed_tests_are_counted_over_binaries() {
        let seen = watch(
            "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 7.03s\n\
             test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n\
             test result: the word passed; in a test's own output\n",
        );
        assert_eq!(seen.passed(), 15);
    }

    #[test]
    fn before_any_binary_there_is_nothing_to_name() {
        assert_eq!(
            Libtest::default().running(),
            ["no test binary had started (still building?)"]
        );
    }
}
