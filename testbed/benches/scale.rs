//! Scale on the local testbed: N clients in this one process join one room at once; reports the
//! time until every client has seen all the others, this process's CPU and memory, Prosody's CPU
//! and the stanzas Prosody delivered per second. Run by `cargo xtask bench` with the sizes as
//! arguments (default 10 50 100); prints one JSON line per size.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use omni_jitsi_core::{ConferenceEvent, Meeting, MeetingOptions};
use omni_jitsi_testbed::{Testbed, TestbedOptions};
use tokio::sync::mpsc;

const SEE_ALL_WITHIN: Duration = Duration::from_secs(120);

struct Client {
    meeting: Meeting,
    events: mpsc::UnboundedReceiver<ConferenceEvent>,
}

/// Seconds of CPU (user + system) this process has used.
fn own_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Seconds of CPU another process has used, from /proc (utime + stime in clock ticks).
fn process_cpu(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces; fields are counted after its closing parenthesis.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(ticks / per_sec)
}

/// Resident set size now and at its peak, in MiB, from /proc/self/status.
fn own_memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
}

async fn join_and_see_all(options: MeetingOptions, others: usize) -> (Client, Duration, Instant) {
    let (tx, mut events) = mpsc::unbounded_channel();
    let start = Instant::now();
    let meeting = omni_jitsi_core::join(options, tx)
        .await
        .expect("join on the testbed");
    let joined = start.elapsed();
    let mut seen = HashSet::new();
    let mut backlog = Vec::new();
    while seen.len() < others {
        let event = tokio::time::timeout(SEE_ALL_WITHIN, events.recv())
            .await
            .expect("every participant seen in time")
            .expect("the meeting is still running");
        if let ConferenceEvent::ParticipantJoined { participant } = &event {
            seen.insert(participant.endpoint_id.clone());
        }
        backlog.push(event);
    }
    (Client { meeting, events }, joined, Instant::now())
}

async fn run(tb: &Testbed, n: usize) -> serde_json::Value {
    let room = format!("scale-{n}");
    let prosody = tb.prosody_pid();
    let cpu_before = own_cpu();
    let prosody_before = prosody.and_then(process_cpu);
    let stanzas_before = tb.stanzas_delivered().await.ok();
    let start = Instant::now();
    let joins = (0..n).map(|i| {
        let mut o = MeetingOptions::new(tb.server_url(), &room);
        o.display_name = Some(format!("Bot {i}"));
        tokio::spawn(join_and_see_all(o, n - 1))
    });
    let mut clients = Vec::new();
    let mut last = start;
    let mut join_times = Vec::new();
    for join in joins.collect::<Vec<_>>() {
        let (client, joined, saw_all) = join.await.expect("join task");
        last = last.max(saw_all);
        join_times.push(joined.as_secs_f64() * 1000.0);
        clients.push(client);
    }
    join_times.sort_by(f64::total_cmp);
    let all_see_all = last - start;
    let cpu = own_cpu() - cpu_before;
    let prosody_cpu = prosody
        .and_then(process_cpu)
        .zip(prosody_before)
        .map(|(after, before)| after - before);
    let stanzas = tb
        .stanzas_delivered()
        .await
        .ok()
        .zip(stanzas_before)
        .map(|(after, before)| after - before);
    let (rss, peak) = own_memory();
    for client in clients {
        client.meeting.hang_up().await.expect("hang up");
        drop(client.events);
    }
    let secs = all_see_all.as_secs_f64();
    serde_json::json!({
        "bench": format!("scale_{n}"),
        "clients": n,
        "all_see_all_ms": secs * 1000.0,
        "join_median_ms": join_times[join_times.len() / 2],
        "join_max_ms": join_times[join_times.len() - 1],
        "client_cpu_s": cpu,
        "prosody_cpu_s": prosody_cpu,
        "stanzas_delivered": stanzas,
        "stanzas_per_s": stanzas.map(|s| s as f64 / secs),
        "rss_mib": rss,
        "peak_rss_mib": peak,
    })
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .map(|a| a.parse().expect("sizes are whole numbers"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10, 50, 100]
    } else {
        sizes
    };
    let tb = Testbed::start(TestbedOptions::default())
        .await
        .expect("testbed");
    for n in sizes {
        println!("{}", run(&tb, n).await);
    }
    tb.stop().await;
}
