package org.omnijitsi.meet.bench

import kotlinx.coroutines.flow.collect
import kotlinx.coroutines.runBlocking
import org.omnijitsi.meet.MeetingOptions
import org.omnijitsi.meet.MeetingSession
import org.omnijitsi.meet.joinMeeting

/**
 * Join latency through the Kotlin bindings: the same two measurements as the Rust bench
 * (testbed/benches/join.rs), so `cargo xtask bench` can put them side by side. One JSON line each.
 */
private const val RUNS = 20

private suspend fun timedJoin(options: MeetingOptions): Pair<Double, MeetingSession> {
    val start = System.nanoTime()
    val session = joinMeeting(options)
    return (System.nanoTime() - start) / 1e6 to session
}

private suspend fun leave(session: MeetingSession) {
    session.meeting.hangUp()
    session.events.collect {}
}

private fun report(name: String, samples: List<Double>) {
    val sorted = samples.sorted()
    println(
        "{\"bench\":\"$name\",\"runs\":${sorted.size},\"median_ms\":${sorted[sorted.size / 2]}," +
            "\"min_ms\":${sorted.first()},\"max_ms\":${sorted.last()}}",
    )
}

fun main() = runBlocking {
    val server = System.getenv("OMNI_JITSI_SERVER_URL")
        ?: error("OMNI_JITSI_SERVER_URL is not set: run through `cargo xtask bench`")
    fun options(room: String, name: String) = MeetingOptions(room = room, serverUrl = server, displayName = name)

    val fresh = (0 until RUNS).map { i ->
        val (took, session) = timedJoin(options("kotlin-bench-fresh-$i", "Solo"))
        leave(session)
        took
    }
    report("kotlin_join_fresh_room", fresh)

    val (_, host) = timedJoin(options("kotlin-bench-running", "Host"))
    val running = (0 until RUNS).map {
        val (took, session) = timedJoin(options("kotlin-bench-running", "Guest"))
        leave(session)
        took
    }
    report("kotlin_join_running_room", running)
    leave(host)
}
