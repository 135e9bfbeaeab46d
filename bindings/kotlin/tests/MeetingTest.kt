package org.omnijitsi.meet

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.math.PI
import kotlin.math.cos
import kotlin.math.roundToInt
import kotlin.math.sin
import kotlin.math.sqrt

/**
 * The SDK's user stories, driven from Kotlin through the generated bindings against Prosody and
 * the testbed, whose URL `cargo xtask test` passes in OMNI_JITSI_SERVER_URL.
 */
class MeetingTest {
    private val server: String = System.getenv("OMNI_JITSI_SERVER_URL")
        ?: error("OMNI_JITSI_SERVER_URL is not set: run through `cargo xtask test`")

    private fun options(room: String, name: String) = MeetingOptions(
        room = room,
        serverUrl = server,
        displayName = name,
        email = "${name.lowercase()}@example.org",
        avatarUrl = "https://example.org/${name.lowercase()}.png",
    )

    private fun <T> timed(block: suspend () -> T): T = runBlocking { withTimeout(20_000) { block() } }

    private suspend fun Flow<MeetingEvent>.joinedParticipant(name: String): Participant =
        first { it is MeetingEvent.ParticipantJoined && it.participant.displayName == name }
            .let { (it as MeetingEvent.ParticipantJoined).participant }

    @Test
    fun joinReportsTheRoomAndHangUpTerminates() = timed {
        val session = joinMeeting(options("kotlin-join", "Ann"))
        assertEquals("kotlin-join", session.meeting.room())
        session.meeting.hangUp()
        val events = session.events.toList()
        assertTrue(events.first() is MeetingEvent.ConferenceWillJoin)
        val joined = events.filterIsInstance<MeetingEvent.ConferenceJoined>().single()
        assertEquals("kotlin-join", joined.room)
        assertEquals(session.meeting.endpointId(), joined.endpointId)
        val end = events.last() as MeetingEvent.ConferenceTerminated
        assertEquals(TerminationReason.HUNG_UP, end.reason)
    }

    @Test
    fun twoParticipantsSeeEachOthersNameEmailAndAvatar() = timed {
        val ann = joinMeeting(options("kotlin-two", "Ann"))
        val bob = joinMeeting(options("kotlin-two", "Bob"))
        val seenByAnn = ann.events.joinedParticipant("Bob")
        assertEquals(bob.meeting.endpointId(), seenByAnn.endpointId)
        assertEquals("bob@example.org", seenByAnn.email)
        assertEquals("https://example.org/bob.png", seenByAnn.avatarUrl)
        val seenByBob = bob.events.joinedParticipant("Ann")
        assertEquals("ann@example.org", seenByBob.email)
        assertEquals(listOf("Bob"), ann.meeting.participants().map { it.displayName })
        ann.meeting.hangUp()
        val left = bob.events.first { it is MeetingEvent.ParticipantLeft } as MeetingEvent.ParticipantLeft
        assertEquals(ann.meeting.endpointId(), left.endpointId)
        bob.meeting.hangUp()
    }

    @Test
    fun chatTravelsBothWays() = timed {
        val ann = joinMeeting(options("kotlin-chat", "Ann"))
        val bob = joinMeeting(options("kotlin-chat", "Bob"))
        ann.events.joinedParticipant("Bob")
        bob.events.joinedParticipant("Ann")

        ann.meeting.sendChat("hello bob", null)
        val toBob = bob.events.first { it is MeetingEvent.ChatMessageReceived } as MeetingEvent.ChatMessageReceived
        assertEquals("hello bob", toBob.message.text)
        assertEquals("Ann", toBob.message.fromName)
        assertFalse(toBob.message.private)

        bob.meeting.sendChat("hi ann, privately", ann.meeting.endpointId())
        val toAnn = ann.events.first { it is MeetingEvent.ChatMessageReceived } as MeetingEvent.ChatMessageReceived
        assertEquals("hi ann, privately", toAnn.message.text)
        assertEquals(bob.meeting.endpointId(), toAnn.message.from)
        assertTrue(toAnn.message.private)
        ann.meeting.hangUp()
        bob.meeting.hangUp()
    }

    @Test
    fun eachParticipantHearsTheOthersTone() = timed {
        val ann = joinMeeting(options("kotlin-tones", "Ann"))
        val bob = joinMeeting(options("kotlin-tones", "Bob"))
        val annAudio = bob.events.remoteAudioTrack()
        val bobAudio = ann.events.remoteAudioTrack()
        assertEquals("${ann.meeting.endpointId()}-a0", annAudio)
        assertEquals("${bob.meeting.endpointId()}-a0", bobAudio)
        val annTone = Tone(440.0)
        val bobTone = Tone(880.0)
        val heardByBob = ArrayList<ShortArray>()
        val heardByAnn = ArrayList<ShortArray>()
        // 20 ms ticks play the audio device's clock: push one frame each, pull one frame each.
        while (!(heardByBob.audibleTail(25) && heardByAnn.audibleTail(25))) {
            delay(20)
            ann.meeting.pushAudio(annTone.next())
            bob.meeting.pushAudio(bobTone.next())
            heardByBob.add(bob.meeting.pull(annAudio))
            heardByAnn.add(ann.meeting.pull(bobAudio))
        }
        assertEquals(440.0, dominantFrequency(heardByBob.tail(25)), 5.0)
        assertEquals(880.0, dominantFrequency(heardByAnn.tail(25)), 5.0)
        ann.meeting.hangUp()
        bob.meeting.hangUp()
    }

    @Test
    fun threeParticipantsHearEachOtherThroughTheBridgeAndTradeMessagesAndScreens() = timed {
        val names = listOf("Ann", "Bob", "Cat")
        val sessions = names.map { joinMeeting(options("kotlin-bridge", it)) }
        // A room announces the occupants already there in no particular order.
        for ((i, s) in sessions.withIndex()) {
            val missing = names.filterIndexed { j, _ -> j != i }.toMutableSet()
            while (missing.isNotEmpty()) {
                val joined = s.events.first { it is MeetingEvent.ParticipantJoined } as MeetingEvent.ParticipantJoined
                missing.remove(joined.participant.displayName)
            }
        }
        val tones = listOf(Tone(440.0), Tone(660.0), Tone(880.0))
        // heard[listener][speaker]
        val heard = List(3) { List(3) { ArrayList<ShortArray>() } }
        val pairs = (0 until 3).flatMap { l -> (0 until 3).filter { it != l }.map { l to it } }
        while (!pairs.all { (l, s) -> heard[l][s].audibleTail(25) }) {
            delay(20)
            for ((i, s) in sessions.withIndex()) s.meeting.pushAudio(tones[i].next())
            for ((l, s) in pairs) {
                heard[l][s].add(sessions[l].meeting.pull("${sessions[s].meeting.endpointId()}-a0"))
            }
        }
        for ((l, s) in pairs) {
            assertEquals("${names[l]} hears ${names[s]}", tones[s].hz, dominantFrequency(heard[l][s].tail(25)), 5.0)
        }
        // Cat's own counters: her tone went out as Opus frames, and she received both others'.
        val stats = checkNotNull(sessions[2].meeting.mediaStats()) { "Cat has no media session" }
        val sentAudio = stats.sent.filter { it.kind == MediaKind.AUDIO }
        assertTrue("Cat sent audio: $stats", sentAudio.sumOf { it.frames.toLong() } >= 25)
        assertTrue("Cat received two audio streams: $stats", stats.received.count { it.kind == MediaKind.AUDIO && it.packets > 0uL } >= 2)

        val (ann, bob, cat) = sessions
        bob.meeting.sendEndpointMessage(ann.meeting.endpointId(), """{"type":"wave"}""")
        val message = ann.events.first { it is MeetingEvent.EndpointMessageReceived } as MeetingEvent.EndpointMessageReceived
        assertEquals(bob.meeting.endpointId(), message.from)
        assertEquals("""{"type":"wave"}""", message.json)

        cat.meeting.startScreenShare()
        val toggled = ann.events.first { it is MeetingEvent.ScreenShareToggled } as MeetingEvent.ScreenShareToggled
        assertEquals(cat.meeting.endpointId(), toggled.endpointId)
        assertTrue(toggled.on)
        sessions.forEach { it.meeting.hangUp() }
    }

    private suspend fun Flow<MeetingEvent>.remoteAudioTrack(): String =
        (first { it is MeetingEvent.RemoteTrackAdded && it.kind == MediaKind.AUDIO } as MeetingEvent.RemoteTrackAdded)
            .sourceName

    private fun Meeting.pull(source: String): ShortArray =
        pullRemoteAudio(source, FRAME_SAMPLES.toUInt())?.samples?.toShortArray() ?: ShortArray(FRAME_SAMPLES)

    private fun List<ShortArray>.audibleTail(n: Int) = size >= n && takeLast(n).all { rms(it) > 500.0 }

    private fun List<ShortArray>.tail(n: Int): ShortArray = takeLast(n).fold(ShortArray(0)) { a, b -> a + b }

    /** A 48 kHz mono sine at amplitude 8000, 20 ms per frame. */
    private class Tone(val hz: Double) {
        private var n = 0L
        fun next(): AudioFrame {
            val samples = List(FRAME_SAMPLES) {
                (8000 * sin(2 * PI * hz * (n + it) / RATE)).roundToInt().toShort()
            }
            val frame = AudioFrame(RATE.toUInt(), 1u, samples, (n * 1_000_000 / RATE).toULong())
            n += FRAME_SAMPLES
            return frame
        }
    }

    private fun rms(s: ShortArray) = sqrt(s.sumOf { it.toDouble() * it } / s.size.coerceAtLeast(1))

    /** The strongest frequency between 50 Hz and 4 kHz: a 10 Hz Goertzel scan, then 0.5 Hz around the peak. */
    private fun dominantFrequency(s: ShortArray): Double {
        val w = DoubleArray(s.size) { s[it] * (0.5 - 0.5 * cos(2 * PI * it / (s.size - 1))) }
        fun power(hz: Double): Double {
            val k = 2 * cos(2 * PI * hz / RATE)
            var (a, b) = 0.0 to 0.0
            for (x in w) { val c = x + k * a - b; b = a; a = c }
            return a * a + b * b - k * a * b
        }
        fun peak(from: Double, to: Double, step: Double) =
            generateSequence(from) { it + step }.takeWhile { it <= to }.maxByOrNull { power(it) }!!
        val coarse = peak(50.0, 4000.0, 10.0)
        return peak(coarse - 10.0, coarse + 10.0, 0.5)
    }

    private companion object {
        const val RATE = 48_000
        const val FRAME_SAMPLES = 960
    }

    @Test
    fun muteChangesReachTheMutedAndTheOthers() = timed {
        val ann = joinMeeting(options("kotlin-mute", "Ann"))
        val bob = joinMeeting(options("kotlin-mute", "Bob"))
        bob.events.joinedParticipant("Ann")
        ann.meeting.setAudioMuted(true)
        assertEquals(MeetingEvent.AudioMutedChanged(true), ann.events.first { it is MeetingEvent.AudioMutedChanged })
        val update = bob.events.first {
            it is MeetingEvent.ParticipantUpdated && it.participant.audioMuted
        } as MeetingEvent.ParticipantUpdated
        assertEquals(ann.meeting.endpointId(), update.participant.endpointId)
        ann.meeting.setVideoMuted(true)
        assertEquals(MeetingEvent.VideoMutedChanged(true), ann.events.first { it is MeetingEvent.VideoMutedChanged })
        ann.meeting.hangUp()
        bob.meeting.hangUp()
    }

    @Test
    fun wrongPasswordAndInvalidRoomAreTypedExceptions() = timed {
        val ann = joinMeeting(options("kotlin-locked", "Ann"))
        ann.events.first {
            (it is MeetingEvent.RoleChanged && it.role == Role.MODERATOR) ||
                (it is MeetingEvent.ConferenceJoined && it.role == Role.MODERATOR)
        }
        ann.meeting.setRoomPassword("s3cret")
        try {
            joinMeeting(options("kotlin-locked", "Bob").copy(password = Secret("guess")))
            fail("joined a locked room with a wrong password")
        } catch (e: MeetingException.WrongPassword) {
            assertNotNull(e.message)
        }
        joinMeeting(options("kotlin-locked", "Bob").copy(password = Secret("s3cret"))).meeting.hangUp()
        try {
            joinMeeting(options("not a valid room", "Bob"))
            fail("joined a room with an invalid name")
        } catch (e: MeetingException.InvalidRoomName) {
            assertTrue(e.message!!.contains("' '"))
        }
        ann.meeting.hangUp()
        try {
            ann.meeting.sendChat("anyone?", null)
            fail("chat after hang up")
        } catch (e: MeetingException.MeetingEnded) {
            // expected
        }
    }

    @Test
    fun tokensPasswordsAndStreamKeysNeverShowInToString() {
        val options = options("kotlin-secrets", "Ann").copy(
            token = Secret("eyJhbGciOiJIUzI1NiJ9.e30.c2ln"),
            password = Secret("hunter2"),
        )
        val printed = listOf(
            options.toString(),
            RecordingRequest.Stream(Secret("live-key-1"), "broadcast").toString(),
            "$options",
        )
        for (text in printed) {
            for (secret in listOf("eyJhbGciOiJIUzI1NiJ9", "hunter2", "live-key-1")) {
                assertFalse("'$secret' printed in $text", text.contains(secret))
            }
        }
        assertTrue(printed[0], printed[0].contains("token=<redacted>"))
        assertEquals(options, options.copy(token = Secret("eyJhbGciOiJIUzI1NiJ9.e30.c2ln")))
        assertFalse(options == options.copy(password = Secret("hunter3")))
    }

    private fun picture(width: UInt, height: UInt, strideY: UInt = width, rotation: UShort = 0u) = VideoFrame(
        width = width,
        height = height,
        timestampUs = 0u,
        rotationDegrees = rotation,
        y = ByteArray((width * height).toInt()),
        u = ByteArray((width * height / 4u).toInt()),
        v = ByteArray((width * height / 4u).toInt()),
        strideY = strideY,
        strideU = width / 2u,
        strideV = width / 2u,
    )

    /**
     * The app's mistakes reach the SDK's error paths: each is a typed exception, never a crash, and
     * the meeting goes on. A listener that throws keeps receiving the events after.
     */
    @Test
    fun malformedFramesAreTypedErrorsAndAThrowingListenerKeepsItsEvents() = timed {
        val names = Channel<String>(Channel.UNLIMITED)
        val throwing = object : MeetingListenerAdapter() {
            override fun onConferenceWillJoin(room: String) {
                names.trySend("will_join")
                throw IllegalStateException("a bug in the app's listener")
            }
            override fun onConferenceJoined(room: String, endpointId: String, role: Role) {
                names.trySend("joined")
                throw IllegalStateException("another one")
            }
            override fun onConferenceTerminated(reason: TerminationReason, error: String?, message: String?) {
                names.trySend("terminated")
                names.close()
            }
        }
        val meeting = join(options("kotlin-hostile", "Ann"), throwing)
        val pictures = mapOf(
            "odd size" to picture(321u, 180u),
            "zero size" to picture(0u, 0u),
            "larger than 4K" to picture(8000u, 16u),
            "stride below the width" to picture(320u, 180u, strideY = 100u),
            "a stride that overflows" to picture(320u, 180u, strideY = UInt.MAX_VALUE),
            "rotation 45" to picture(320u, 180u, rotation = 45u),
            "short planes" to picture(320u, 180u).copy(y = ByteArray(10)),
        )
        for ((what, frame) in pictures) {
            try {
                meeting.pushVideo(frame)
                fail("$what: accepted")
            } catch (e: MeetingException.InvalidArgument) {
                assertNotNull(what, e.message)
            }
        }
        val sounds = mapOf(
            "44.1 kHz" to AudioFrame(44_100u, 1u, List(441) { 0.toShort() }, 0u),
            "no channel" to AudioFrame(48_000u, 0u, List(960) { 0.toShort() }, 0u),
            "7 ms" to AudioFrame(48_000u, 1u, List(336) { 0.toShort() }, 0u),
            "half a stereo sample" to AudioFrame(48_000u, 2u, List(1921) { 0.toShort() }, 0u),
        )
        for ((what, frame) in sounds) {
            try {
                meeting.pushAudio(frame)
                fail("$what: accepted")
            } catch (e: MeetingException.InvalidArgument) {
                assertNotNull(what, e.message)
            }
        }
        meeting.pushVideo(picture(320u, 180u))
        meeting.pushAudio(AudioFrame(48_000u, 1u, List(960) { 0.toShort() }, 0u))
        meeting.sendChat("still here", null)
        meeting.hangUp()
        val order = mutableListOf<String>()
        for (n in names) order += n
        assertEquals(listOf("will_join", "joined", "terminated"), order)
    }

    @Test
    fun recordingOnADeploymentWithoutJibriIsATypedRefusal() = timed {
        val ann = joinMeeting(options("kotlin-record", "Ann"))
        ann.events.first {
            (it is MeetingEvent.RoleChanged && it.role == Role.MODERATOR) ||
                (it is MeetingEvent.ConferenceJoined && it.role == Role.MODERATOR)
        }
        try {
            ann.meeting.startRecording(RecordingRequest.File)
            fail("recording started on a testbed that runs no Jibri")
        } catch (e: MeetingException.RecordingUnavailable) {
            assertTrue(e.message!!.contains("Jibri"))
        }
        ann.meeting.hangUp()
    }

    @Test
    fun listenerCallbacksArriveInOrderOnTheEventThreadAndASlowListenerDoesNotStallTheMeeting() = timed {
        val threads = mutableSetOf<String>()
        val names = Channel<String>(Channel.UNLIMITED)
        val release = CountDownLatch(1)
        val slow = object : MeetingListenerAdapter() {
            override fun onConferenceWillJoin(room: String) {
                threads += Thread.currentThread().name
                // Blocks the listener until the test has used the meeting: the core must go on.
                release.await(20, TimeUnit.SECONDS)
                names.trySend("will_join")
            }
            override fun onConferenceJoined(room: String, endpointId: String, role: Role) {
                threads += Thread.currentThread().name
                names.trySend("joined")
            }
            override fun onConferenceTerminated(reason: TerminationReason, error: String?, message: String?) {
                threads += Thread.currentThread().name
                names.trySend("terminated")
                names.close()
            }
        }
        val meeting = join(options("kotlin-slow", "Ann"), slow)
        meeting.sendChat("the core is not blocked by the listener", null)
        meeting.hangUp()
        release.countDown()
        val order = mutableListOf<String>()
        for (n in names) order += n
        assertEquals(listOf("will_join", "joined", "terminated"), order)
        assertEquals(setOf("omni-jitsi-events"), threads)
    }
}
