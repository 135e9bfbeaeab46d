package org.omnijitsi.meet

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlin.system.exitProcess

/** An app that sets the log level before anything else, run by [FirstCallTest] in its own JVM. */
object LogLevelFirstApp {
    @JvmStatic
    fun main(args: Array<String>) {
        setLogLevel(LogLevel.WARN)
        val server = System.getenv("OMNI_JITSI_SERVER_URL") ?: error("OMNI_JITSI_SERVER_URL is not set")
        runBlocking {
            withTimeout(30_000) {
                val threads = Channel<String>(Channel.UNLIMITED)
                val listener = object : MeetingListenerAdapter() {
                    override fun onConferenceJoined(room: String, endpointId: String, role: Role) {
                        threads.trySend(Thread.currentThread().name)
                    }
                }
                val meeting = join(MeetingOptions(room = "kotlin-first-call", serverUrl = server), listener)
                println("event thread: ${threads.receive()}")
                meeting.hangUp()
            }
        }
        exitProcess(0)
    }
}
