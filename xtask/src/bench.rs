//! `cargo xtask bench`: numbers measured on loopback against Prosody and the testbed, each set
//! repeated and reported as median with min and max. Comparisons are ratios taken in the same
//! run, because this machine is shared and noisy. Reports; never passes or fails on a number.

use std::fs;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::arm;
use crate::browser;
use crate::client::Client;
use crate::fuzz;
use crate::kotlin;
use crate::kotlin_sources;
use crate::mobile;
use crate::process::{self, output};
use crate::testbed::Testbed;
use crate::tools;
use crate::workspace::{is_ci, Workspace};

const USAGE: &str =
    "usage: bench [--sizes N,N,...] [--move-runs N] [--skip-kotlin] [--skip-browser] | bench fuzz | bench lib-sizes";
/// Time for the idle client's memory to settle after the join before it is read.
const IDLE: Duration = Duration::from_secs(3);

struct Options {
    sizes: Vec<String>,
    /// Runs of each P2P <-> bridge move scenario with lib-jitsi-meet (about 30 s each); 0 skips.
    move_runs: usize,
    kotlin: bool,
    browser: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        sizes: vec!["10".into(), "50".into(), "100".into()],
        move_runs: 20,
        kotlin: true,
        browser: true,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--skip-kotlin" => options.kotlin = false,
            "--skip-browser" => options.browser = false,
            "--move-runs" => {
                let n = args.next().ok_or(USAGE)?;
                options.move_runs = n
                    .parse()
                    .map_err(|_| format!("--move-runs takes a whole number: {n:?}"))?;
            }
            "--sizes" => {
                let list = args.next().ok_or(USAGE)?;
                options.sizes = list.split(',').map(str::to_string).collect();
                if options.sizes.iter().any(|n| n.parse::<usize>().is_err()) {
                    return Err(format!("--sizes takes whole numbers: {list:?}"));
                }
            }
            other => return Err(format!("unknown option {other:?}; {USAGE}")),
        }
    }
    Ok(options)
}

pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    if args.first().is_some_and(|a| a == "fuzz") {
        crate::no_args("bench fuzz", &args[1..])?;
        return fuzz_bench(ws);
    }
    if args.first().is_some_and(|a| a == "lib-sizes") {
        crate::no_args("bench lib-sizes", &args[1..])?;
        return sizes_bench(ws);
    }
    let options = parse(args)?;
    let mut report = crate::report::Report::new();
    let wanted = tools::Wanted {
        kotlin: options.kotlin,
        swift: false,
        arm: true,
        browser: options.browser,
    };
    let tools = tools::ensure(ws, &mut report, wanted, is_ci());
    tools.prosody.clone()?;
    // Debug for the testbed binary and the bindgen tool; release for everything measured.
    process::run(ws.cargo().args([
        "build",
        "--workspace",
        "--features",
        "omni-jitsi-meet/bindgen",
    ]))?;
    process::run(ws.cargo().args([
        "build",
        "--release",
        "-p",
        "omni-jitsi-meet",
        "-p",
        "omni-jitsi-cli",
    ]))?;

    let mut results = Vec::new();
    results.extend(cargo_bench(ws, "join", &[])?);
    results.extend(cargo_bench(ws, "scale", &options.sizes)?);
    results.extend(cargo_bench(ws, "media", &[])?);
    results.extend(cargo_bench(ws, "bridge", &[])?);
    results.extend(cargo_bench(ws, "chaos", &[])?);
    match &tools.kotlin {
        Ok(kotlin_tools) => results.extend(kotlin_join(ws, kotlin_tools)?),
        Err(why) => println!("kotlin join bench skipped: {why}"),
    }
    match &tools.browser {
        Ok(browser_tools) => {
            let mut scripts = vec![
                ("bench-join.mjs", 20),
                ("bench-media.mjs", 10),
                ("bench-faults.mjs", 3),
            ];
            if options.move_runs > 0 {
                scripts.push(("bench-moves.mjs", options.move_runs));
            }
            for (script, runs) in scripts {
                results.extend(json_lines(&browser::bench(
                    ws,
                    browser_tools,
                    script,
                    runs,
                )?)?);
            }
        }
        Err(why) => println!("lib-jitsi-meet benches skipped: {why}"),
    }
    results.extend(footprint(ws)?);
    match &tools.arm {
        Ok(toolchain) => results.extend(arm_library_sizes(ws, toolchain)?),
        Err(why) => println!("ARM library sizes skipped: {why}"),
    }
    results.extend(media_cost(ws)?);

    let markdown = render(&results);
    write_report(ws, "bench", &markdown, results)
}

/// Each fuzz target to a million executions, or five minutes if it is slower than that.
fn fuzz_bench(ws: &Workspace) -> Result<(), String> {
    let bins = fuzz::build(ws)?;
    let budget = fuzz::Budget::RunsWithin(1_000_000, 300);
    let outcomes = fuzz::run_all(ws, &bins, &fuzz::targets(ws)?, budget)?;
    let mut markdown = String::from(
        "| target | executions | exec/s | cov | ft | corpus | result |\n|---|---:|---:|---:|---:|---:|---|\n",
    );
    let mut json = Vec::new();
    for o in &outcomes {
        let result = o.failure.as_deref().unwrap_or("0 crashes, 0 hangs");
        markdown.push_str(&format!(
            "| {} | {} | {:.0} | {} | {} | {} | {result} |\n",
            o.target,
            o.execs,
            o.execs_per_sec(),
            o.cov,
            o.ft,
            o.corpus
        ));
        json.push(json!({
            "bench": "fuzz", "target": o.target, "executions": o.execs,
            "seconds": o.seconds, "exec_per_sec": o.execs_per_sec(), "cov": o.cov,
            "ft": o.ft, "corpus": o.corpus, "failure": o.failure,
        }));
    }
    write_report(ws, "fuzz", &markdown, json)
}

/// The stripped release library for each ABI, without the rest of the bench.
fn sizes_bench(ws: &Workspace) -> Result<(), String> {
    let mut report = crate::report::Report::new();
    let mut apt = crate::apt::Apt::default();
    let toolchain = report
        .step("ensure the ARM toolchain (sid chroot)", || {
            arm::ensure_toolchain(ws, &mut apt)
        })
        .ok_or("the ARM toolchain is not set up")?;
    process::run(
        ws.cargo()
            .args(["build", "--release", "-p", "omni-jitsi-meet", "--lib"]),
    )?;
    let mut rows = vec![host_library_size(ws)?];
    rows.extend(arm_library_sizes(ws, &toolchain)?);
    let mut markdown = String::from("| measurement | value | what |\n|---|---|---|\n");
    for v in &rows {
        markdown.push_str(&format!(
            "| {} | {} MiB | {} |\n",
            v["bench"].as_str().unwrap_or("?"),
            num(v, "value"),
            v["what"].as_str().unwrap_or("")
        ));
    }
    write_report(ws, "lib-sizes", &markdown, rows)
}

/// aarch64 and armv7 Linux stand in for Android's arm64-v8a and armeabi-v7a: the same Rust and
/// C, with glibc in place of bionic.
fn arm_library_sizes(ws: &Workspace, toolchain: &arm::ArmToolchain) -> Result<Vec<Value>, String> {
    Ok(arm::release_library_sizes(ws, toolchain)?
        .into_iter()
        .map(|(arch, bytes)| {
            let short = arch.triple.split('-').next().unwrap_or(arch.triple);
            json!({"bench": format!("cdylib_size_{short}"), "value": mib(bytes), "unit": "MiB",
                   "what": format!("stripped release libomni_jitsi_meet ({short} Linux, for {})",
                                   arch.abi)})
        })
        .collect())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1024.0 / 1024.0
}

/// `target/bench/NAME.md` and `NAME.json`, and the table on stdout.
fn write_report(
    ws: &Workspace,
    name: &str,
    markdown: &str,
    rows: Vec<Value>,
) -> Result<(), String> {
    let dir = ws.target.join("bench");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    write(&dir.join(format!("{name}.md")), markdown)?;
    write(
        &dir.join(format!("{name}.json")),
        &serde_json::to_string_pretty(&Value::Array(rows)).unwrap_or_default(),
    )?;
    println!("\n{markdown}\nwritten to {}", dir.display());
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A bench target of the testbed crate prints one JSON object per line.
fn cargo_bench(ws: &Workspace, name: &str, args: &[String]) -> Result<Vec<Value>, String> {
    let stdout = output(
        ws.cargo()
            .args(["bench", "-p", "omni-jitsi-testbed", "--bench", name, "--"])
            .args(args),
    )?;
    json_lines(&stdout)
}

/// CPU of media on this machine and one-way audio latency, from the media crate's example
/// (release code without LTO, so it builds in reasonable time).
fn media_cost(ws: &Workspace) -> Result<Vec<Value>, String> {
    let stdout = output(ws.cargo().args([
        "run",
        "-p",
        "omni-jitsi-media",
        "--example",
        "media_bench",
        "--profile",
        "media-bench",
        "--",
        "10",
    ]))?;
    json_lines(&stdout)
}

fn json_lines(text: &str) -> Result<Vec<Value>, String> {
    text.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).map_err(|e| format!("bad bench line {l:?}: {e}")))
        .collect()
}

/// The same joins as benches/join.rs, from Kotlin through the generated bindings and the
/// release cdylib.
fn kotlin_join(ws: &Workspace, tools: &tools::KotlinTools) -> Result<Vec<Value>, String> {
    let generated = ws.target.join("bench/kotlin/generated");
    let classes = ws.target.join("bench/kotlin/classes");
    mobile::bindgen(ws, "kotlin", &generated)?;
    let mut sources = Vec::new();
    for dir in [
        generated.clone(),
        ws.root.join("bindings/kotlin/src"),
        ws.root.join("bindings/kotlin/bench"),
    ] {
        kotlin_sources::collect_kotlin(&dir, &mut sources)?;
    }
    kotlin::compile_sources(ws, tools, &sources, &[], &classes)?;
    let testbed = Testbed::start(ws)?;
    let mut classpath = vec![classes];
    classpath.extend(tools.run_classpath());
    let result = output(
        ws.command("java")
            .arg(format!(
                "-Djna.library.path={}",
                ws.target.join("release").display()
            ))
            .arg("-cp")
            .arg(tools::join_paths(&classpath, ":"))
            .arg("org.omnijitsi.meet.bench.JoinBenchKt")
            .env("OMNI_JITSI_SERVER_URL", &testbed.server_url),
    );
    if let Err(e) = testbed.stop() {
        eprintln!("xtask: warning: {e}");
    }
    json_lines(&result?)
}

/// Memory of one joined, idle release CLI client, and the size of the release cdylib an app ships.
fn footprint(ws: &Workspace) -> Result<Vec<Value>, String> {
    let testbed = Testbed::start(ws)?;
    let measured = idle_client_memory(ws, &testbed.server_url);
    if let Err(e) = testbed.stop() {
        eprintln!("xtask: warning: {e}");
    }
    let (rss, peak) = measured?;
    Ok(vec![
        host_library_size(ws)?,
        json!({"bench": "idle_client_rss", "value": rss, "unit": "MiB",
               "what": "omni-jitsi CLI joined and idle"}),
        json!({"bench": "idle_client_peak_rss", "value": peak, "unit": "MiB",
               "what": "omni-jitsi CLI peak RSS through join"}),
    ])
}

fn host_library_size(ws: &Workspace) -> Result<Value, String> {
    let lib = ws.target.join("release").join(
        ws.host_bindings_lib()
            .file_name()
            .ok_or("no library name")?,
    );
    let bytes = fs::metadata(&lib)
        .map_err(|e| format!("cannot stat {}: {e}", lib.display()))?
        .len();
    Ok(
        json!({"bench": "cdylib_size", "value": mib(bytes), "unit": "MiB",
              "what": "stripped release libomni_jitsi_meet (x86_64 Linux)"}),
    )
}

fn idle_client_memory(ws: &Workspace, server: &str) -> Result<(f64, f64), String> {
    let bin = ws.target.join("release/omni-jitsi");
    let mut client = Client::spawn_binary(ws, &bin, "Idle", 4, server, "footprint", &[])?;
    client.wait_for(|v| v["event"] == "conference_joined")?;
    // Not synchronisation: a benchmark reading memory once the client has sat idle for a while.
    std::thread::sleep(IDLE);
    let status = fs::read_to_string(format!("/proc/{}/status", client.pid()))
        .map_err(|e| format!("cannot read the client's /proc status: {e}"))?;
    client.send("leave")?;
    client.wait_exit()?;
    let mib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .ok_or_else(|| format!("no {key} in /proc status"))
    };
    Ok((mib("VmRSS:")?, mib("VmHWM:")?))
}

fn find<'a>(results: &'a [Value], name: &str) -> Option<&'a Value> {
    results.iter().find(|v| v["bench"] == name)
}

fn num(v: &Value, key: &str) -> String {
    match v[key].as_f64() {
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        // Per-stream CPU and the like: keep two significant digits.
        Some(x) if x != 0.0 && x.abs() < 0.1 => format!("{x:.2e}"),
        Some(x) => format!("{x:.2}"),
        None => "n/a".into(),
    }
}

fn render(results: &[Value]) -> String {
    let mut md = String::from(
        "## Timings: join (join called -> joined), time to media (the joining participant joined -> first remote audio / video; bridgeN: the Nth participant hears all others), ms\n\n",
    );
    md.push_str("| measurement | runs | median | min | max |\n|---|---|---|---|---|\n");
    for v in results.iter().filter(|v| v.get("median_ms").is_some()) {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            v["bench"].as_str().unwrap_or("?"),
            v["runs"],
            num(v, "median_ms"),
            num(v, "min_ms"),
            num(v, "max_ms")
        ));
    }
    push_ratios(
        &mut md,
        results,
        "median_ms",
        &[
            ("kotlin_join_fresh_room", "join_fresh_room"),
            ("kotlin_join_running_room", "join_running_room"),
            ("join_fresh_room", "ljm_join_fresh_room"),
            ("join_running_room", "ljm_join_running_room"),
            (
                "p2p_first_remote_audio_after_join",
                "ljm_p2p_first_remote_audio_after_join",
            ),
            (
                "p2p_first_remote_video_after_join",
                "ljm_p2p_first_remote_video_after_join",
            ),
            (
                "bridge3_all_remote_audio_after_join",
                "ljm_bridge3_all_remote_audio_after_join",
            ),
            (
                "bridge3_first_remote_video_after_join",
                "ljm_bridge3_first_remote_video_after_join",
            ),
            ("fault_outage_audio_again", "ljm_fault_outage_audio_again"),
            (
                "fault_allocation_dead_audio_again",
                "ljm_fault_allocation_dead_audio_again",
            ),
            (
                "fault_socket_outage_chat_delivered",
                "ljm_fault_socket_outage_chat_delivered",
            ),
        ],
    );
    md.push_str("\n\n## Scale: N clients in one process join one room at once\n\n");
    md.push_str(
        "| N | all see all (ms) | join median (ms) | join max (ms) | client CPU (s) | Prosody CPU (s) | stanzas delivered | stanzas/s | RSS (MiB) |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for v in results.iter().filter(|v| v.get("clients").is_some()) {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            v["clients"],
            num(v, "all_see_all_ms"),
            num(v, "join_median_ms"),
            num(v, "join_max_ms"),
            num(v, "client_cpu_s"),
            num(v, "prosody_cpu_s"),
            v["stanzas_delivered"],
            num(v, "stanzas_per_s"),
            num(v, "rss_mib"),
        ));
    }
    let moves: Vec<&Value> = results
        .iter()
        .filter(|v| v.get("failures").is_some())
        .collect();
    if !moves.is_empty() {
        md.push_str(
            "\n## P2P <-> bridge moves with lib-jitsi-meet: runs in which a directed pair lost its sender\n\n\
             | scenario | failed / runs | what |\n|---|---|---|\n",
        );
        for v in moves {
            md.push_str(&format!(
                "| {} | {} / {} | {} |\n",
                v["bench"].as_str().unwrap_or("?"),
                v["failures"],
                v["runs"],
                v["what"].as_str().unwrap_or("")
            ));
        }
    }
    md.push_str("\n## Footprint and media cost\n\n| measurement | value | what |\n|---|---|---|\n");
    for v in results.iter().filter(|v| v.get("unit").is_some()) {
        md.push_str(&format!(
            "| {} | {} {} | {} |\n",
            v["bench"].as_str().unwrap_or("?"),
            num(v, "value"),
            v["unit"].as_str().unwrap_or(""),
            v["what"].as_str().unwrap_or("")
        ));
    }
    push_ratios(
        &mut md,
        results,
        "value",
        &[
            ("idle_client_rss", "ljm_idle_chromium_pss"),
            (
                "sdk_p2p_640x360_with_browser_rss",
                "ljm_p2p_640x360_chromium_pss",
            ),
        ],
    );
    md
}

/// One line per pair measured in this run: `a`'s value of `key` over `b`'s.
fn push_ratios(md: &mut String, results: &[Value], key: &str, pairs: &[(&str, &str)]) {
    for (a, b) in pairs {
        let value = |name: &str| find(results, name).and_then(|v| v[key].as_f64());
        if let (Some(x), Some(y)) = (value(a), value(b)) {
            md.push_str(&format!("\nratio {a} / {b}: {:.2}", x / y));
        }
    }
    md.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_puts_the_sdk_beside_lib_jitsi_meet_with_their_ratio() {
        let results = vec![
            json!({"bench": "p2p_first_remote_video_after_join", "runs": 10,
                   "median_ms": 300.0, "min_ms": 290.0, "max_ms": 480.0}),
            json!({"bench": "ljm_p2p_first_remote_video_after_join", "runs": 10,
                   "median_ms": 400.0, "min_ms": 380.0, "max_ms": 450.0}),
            json!({"bench": "idle_client_rss", "value": 5.0, "unit": "MiB", "what": "SDK"}),
            json!({"bench": "ljm_idle_chromium_pss", "value": 400.0, "unit": "MiB", "what": "Chromium"}),
        ];
        let md = render(&results);
        assert!(md.contains("| ljm_p2p_first_remote_video_after_join | 10 | 400 | 380 | 450 |"));
        assert!(md.contains(
            "ratio p2p_first_remote_video_after_join / ljm_p2p_first_remote_video_after_join: 0.75"
        ));
        assert!(md.contains("ratio idle_client_rss / ljm_idle_chromium_pss: 0.01"));
        assert!(!md.contains("ratio p2p_first_remote_audio_after_join"));
        assert!(!md.contains("P2P <-> bridge moves"));
    }

    #[test]
    fn move_failures_get_a_table_of_their_own_and_their_runs_an_option() {
        let results = vec![
            json!({"bench": "ljm_p2p_move_three_moves", "runs": 20, "failures": 1,
                   "what": "three moves", "failed": ["run 4: ..."]}),
        ];
        let md = render(&results);
        assert!(md.contains("| ljm_p2p_move_three_moves | 1 / 20 | three moves |"));
        assert!(
            !md.contains("| ljm_p2p_move_three_moves | 20 |"),
            "not a timing"
        );
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(parse(&args(&["--move-runs", "5"])).unwrap().move_runs, 5);
        assert_eq!(parse(&args(&[])).unwrap().move_runs, 20);
        assert!(parse(&args(&["--move-runs", "many"])).is_err());
    }
}
