package org.omnijitsi.sample.media

import org.junit.Test
import org.omnijitsi.meet.MediaKind
import org.omnijitsi.meet.MeetingEvent
import org.omnijitsi.meet.TerminationReason
import kotlin.test.assertEquals

private fun added(endpoint: String, source: String, kind: MediaKind) = MeetingEvent.RemoteTrackAdded(endpoint, source, kind)
private fun removed(endpoint: String, source: String, kind: MediaKind) = MeetingEvent.RemoteTrackRemoved(endpoint, source, kind)

private fun RemoteSources.afterAll(vararg events: MeetingEvent) = events.fold(this) { s, e -> s.after(e) }

class RemoteSourcesTest {
    private val annAndBob = RemoteSources().afterAll(
        added("a1b2c3d4", "a1b2c3d4-a0", MediaKind.AUDIO),
        added("a1b2c3d4", "a1b2c3d4-v0", MediaKind.VIDEO),
        added("5e6f7a8b", "5e6f7a8b-v0", MediaKind.VIDEO),
        added("5e6f7a8b", "5e6f7a8b-a0", MediaKind.AUDIO),
    )

    @Test
    fun `added tracks become tiles and mixer inputs in arrival order`() {
        assertEquals(listOf("a1b2c3d4-a0", "5e6f7a8b-a0"), annAndBob.audioSourceNames)
        assertEquals(listOf("a1b2c3d4-v0", "5e6f7a8b-v0"), annAndBob.video.map { it.sourceName })
        assertEquals("5e6f7a8b", annAndBob.video[1].endpointId)
    }

    @Test
    fun `a removed track leaves the grid and the mix, and a repeated add keeps one tile`() {
        val state = annAndBob.afterAll(
            removed("a1b2c3d4", "a1b2c3d4-v0", MediaKind.VIDEO),
            added("5e6f7a8b", "5e6f7a8b-v0", MediaKind.VIDEO),
        )
        assertEquals(listOf("5e6f7a8b-v0"), state.video.map { it.sourceName })
        assertEquals(listOf("a1b2c3d4-a0", "5e6f7a8b-a0"), state.audioSourceNames)
    }

    @Test
    fun `someone leaving takes all their tracks, the end of the meeting takes everything`() {
        val left = annAndBob.after(MeetingEvent.ParticipantLeft("a1b2c3d4", "Ann"))
        assertEquals(listOf("5e6f7a8b-a0"), left.audioSourceNames)
        assertEquals(listOf("5e6f7a8b-v0"), left.video.map { it.sourceName })
        val ended = annAndBob.after(MeetingEvent.ConferenceTerminated(TerminationReason.HUNG_UP, null, null))
        assertEquals(RemoteSources(), ended)
    }

    @Test
    fun `the grid stays near square as tiles arrive`() {
        val shapes = (0..7).map { n ->
            val state = (0 until n).fold(RemoteSources()) { s, i -> s.after(added("e$i", "e$i-v0", MediaKind.VIDEO)) }
            state.columns to state.rows
        }
        assertEquals(listOf(0 to 0, 1 to 1, 2 to 1, 2 to 2, 2 to 2, 3 to 2, 3 to 2, 3 to 3), shapes)
    }
}
