package org.omnijitsi.meet

import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Test
import java.net.HttpURLConnection
import java.net.URL

/**
 * A dropped connection through the bindings: Ann reaches the testbed through its fault proxy
 * (OMNI_JITSI_RELAYED_SERVER_URL), which the test cuts with a POST to OMNI_JITSI_FAULTS_URL.
 */
class ReconnectTest {
    private fun env(name: String): String =
        System.getenv(name) ?: error("$name is not set: run through `cargo xtask test`")

    private val server = env("OMNI_JITSI_SERVER_URL")
    private val relayed = env("OMNI_JITSI_RELAYED_SERVER_URL")
    private val faults = env("OMNI_JITSI_FAULTS_URL")

    private fun fault(name: String) {
        val request = URL("$faults/$name").openConnection() as HttpURLConnection
        request.requestMethod = "POST"
        try {
            assertEquals("the fault proxy did $name", 204, request.responseCode)
        } finally {
            request.disconnect()
        }
    }

    @Test
    fun aCutConnectionResumesAndTheMessageSentMeanwhileArrivesOnce() = runBlocking {
        withTimeout(40_000) {
            val bob = joinMeeting(MeetingOptions(room = "kotlin-reconnect", serverUrl = server, displayName = "Bob"))
            val ann = joinMeeting(MeetingOptions(room = "kotlin-reconnect", serverUrl = relayed, displayName = "Ann"))
            bob.events.first { it is MeetingEvent.ParticipantJoined && it.participant.displayName == "Ann" }

            fault("cut")
            ann.meeting.sendChat("sent during the cut", null)
            ann.events.first { it is MeetingEvent.ConnectionStateChanged && it.state == ConnectionState.RECONNECTING }
            ann.events.first { it is MeetingEvent.ConnectionStateChanged && it.state == ConnectionState.CONNECTED }
            ann.meeting.sendChat("after the cut", null)

            val received = mutableListOf<String>()
            bob.events.first { event ->
                if (event is MeetingEvent.ChatMessageReceived) received += event.message.text
                event is MeetingEvent.ChatMessageReceived && event.message.text == "after the cut"
            }
            assertEquals(listOf("sent during the cut", "after the cut"), received)
            ann.meeting.hangUp()
            bob.meeting.hangUp()
        }
    }
}
