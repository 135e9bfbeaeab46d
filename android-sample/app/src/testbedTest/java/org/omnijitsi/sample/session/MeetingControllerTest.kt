package org.omnijitsi.sample.session

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Test
import org.omnijitsi.meet.MeetingOptions
import org.omnijitsi.sample.permissions.Access
import org.omnijitsi.sample.permissions.Grant
import org.omnijitsi.sample.permissions.JoinPlan
import kotlin.test.assertEquals

/**
 * The sample's screen logic against the real SDK, Prosody and the testbed, whose URL
 * `cargo xtask test` passes in OMNI_JITSI_SERVER_URL. Kept out of src/test because Gradle's
 * Android unit tests have neither the host build of the Rust library nor a testbed.
 */
class MeetingControllerTest {
    private val server: String = System.getenv("OMNI_JITSI_SERVER_URL")
        ?: error("OMNI_JITSI_SERVER_URL is not set: run through `cargo xtask test`")
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    @After
    fun stop() = scope.cancel()

    private fun form(name: String) = JoinForm(
        serverUrl = server,
        room = "sample-chat",
        displayName = name,
        email = "${name.lowercase()}@example.org",
        avatarUrl = "",
    )

    private val everythingGranted = JoinPlan(Access.entries.associateWith { Grant.GRANTED })

    private suspend fun MeetingController.until(what: (MeetingState) -> Boolean): MeetingState =
        state.first(what)

    private fun timed(block: suspend () -> Unit) = runBlocking { withTimeout(20_000) { block() } }

    @Test
    fun twoSampleScreensChatAndOneHangsUp() = timed {
        val ann = MeetingController(scope)
        val bob = MeetingController(scope)
        ann.join(form("Ann").toOptions(everythingGranted))
        assertEquals("In sample-chat", ann.until { it.phase == Phase.JOINED }.statusLine)
        bob.join(form("Bob").toOptions(everythingGranted))
        bob.until { it.phase == Phase.JOINED }
        assertEquals("With Ann", bob.until { it.participants.isNotEmpty() }.participantsLine)
        ann.until { it.participants.isNotEmpty() }

        ann.sendChat("hello from the sample")
        val seenByBob = bob.until { it.chat.isNotEmpty() }
        assertEquals(listOf("Ann: hello from the sample"), seenByBob.chat.map { it.render() })
        assertEquals(listOf("Ann: hello from the sample"), ann.until { it.chat.isNotEmpty() }.chat.map { it.render() })

        ann.hangUp()
        assertEquals(Phase.ENDED, ann.until { it.phase == Phase.ENDED }.phase)
        assertEquals("Nobody else is here yet", bob.until { it.participants.isEmpty() }.participantsLine)
        bob.hangUp()
        bob.until { it.phase == Phase.ENDED }
    }

    @Test
    fun aBadRoomNameEndsTheJoinWithTheSdksReason() = timed {
        val ann = MeetingController(scope)
        ann.join(MeetingOptions(room = "no/slashes", serverUrl = server))
        val ended = ann.until { it.phase == Phase.ENDED }
        assertEquals("invalid room name: the room name contains '/', which Jitsi room names cannot contain", ended.statusLine)
    }
}
