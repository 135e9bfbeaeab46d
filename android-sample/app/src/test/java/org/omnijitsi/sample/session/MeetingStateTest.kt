package org.omnijitsi.sample.session

import org.junit.Test
import org.omnijitsi.meet.Affiliation
import org.omnijitsi.meet.ChatMessage
import org.omnijitsi.meet.MediaKind
import org.omnijitsi.meet.MeetingEvent
import org.omnijitsi.meet.Participant
import org.omnijitsi.meet.Role
import org.omnijitsi.meet.TerminationReason
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

private fun participant(id: String, name: String?) = Participant(
    endpointId = id,
    displayName = name,
    email = null,
    avatarUrl = null,
    role = Role.PARTICIPANT,
    affiliation = Affiliation.NONE,
    audioMuted = false,
    videoMuted = true,
    handRaisedAt = null,
    statsId = null,
)

private fun chat(from: String, name: String?, text: String, private: Boolean = false) = MeetingEvent.ChatMessageReceived(
    ChatMessage(from = from, fromName = name, text = text, private = private, timestampMs = 0uL, delayed = false),
)

private fun MeetingState.afterAll(vararg events: MeetingEvent) = events.fold(this) { s, e -> s.after(e) }

class MeetingStateTest {
    private val joined = MeetingState(phase = Phase.JOINING, room = "standup")
        .after(MeetingEvent.ConferenceJoined(room = "standup", endpointId = "a1b2c3d4", role = Role.MODERATOR))

    @Test
    fun `joining shows the room and an empty room`() {
        assertEquals("Joining standup…", MeetingState(phase = Phase.JOINING, room = "standup").statusLine)
        assertEquals(Phase.JOINED, joined.phase)
        assertEquals("In standup", joined.statusLine)
        assertEquals("Nobody else is here yet", joined.participantsLine)
    }

    @Test
    fun `participants are listed by name as they come and go`() {
        val state = joined.afterAll(
            MeetingEvent.ParticipantJoined(participant("5e6f7a8b", "Bob")),
            MeetingEvent.ParticipantJoined(participant("9a0b1c2d", null)),
            MeetingEvent.ParticipantUpdated(participant("5e6f7a8b", "Bobby")),
        )
        assertEquals("With Bobby, 9a0b1c2d", state.participantsLine)
        val after = state.after(MeetingEvent.ParticipantLeft(endpointId = "5e6f7a8b", displayName = "Bobby"))
        assertEquals("With 9a0b1c2d", after.participantsLine)
    }

    @Test
    fun `chat shows who wrote what, and marks private messages`() {
        val state = joined.afterAll(
            chat("5e6f7a8b", "Bob", "hello"),
            chat("9a0b1c2d", null, "psst", private = true),
        )
        assertEquals(listOf("Bob: hello", "9a0b1c2d (privately): psst"), state.chat.map { it.render() })
    }

    @Test
    fun `the end of the meeting says why and empties the room`() {
        val state = joined.afterAll(
            MeetingEvent.ParticipantJoined(participant("5e6f7a8b", "Bob")),
            MeetingEvent.ConferenceTerminated(
                reason = TerminationReason.KICKED,
                error = null,
                message = "kicked by the moderator",
            ),
        )
        assertEquals(Phase.ENDED, state.phase)
        assertEquals("kicked by the moderator", state.statusLine)
        assertTrue(state.participants.isEmpty())
    }

    @Test
    fun `camera and microphone run only in the meeting and follow our mute state`() {
        val joining = MeetingState(phase = Phase.JOINING, room = "standup")
        assertFalse(joining.cameraOn || joining.microphoneOn)
        assertTrue(joined.cameraOn && joined.microphoneOn)
        val muted = joined.afterAll(MeetingEvent.AudioMutedChanged(true), MeetingEvent.VideoMutedChanged(true))
        assertFalse(muted.cameraOn || muted.microphoneOn)
        val unmuted = muted.after(MeetingEvent.VideoMutedChanged(false))
        assertTrue(unmuted.cameraOn)
        assertFalse(unmuted.microphoneOn)
    }

    @Test
    fun `a refused permission keeps its device closed even when unmuted`() {
        val noMicrophone = joined.copy(microphoneAllowed = false).after(MeetingEvent.AudioMutedChanged(false))
        assertFalse(noMicrophone.microphoneOn)
        assertTrue(noMicrophone.cameraOn)
    }

    @Test
    fun `video tiles are named after their participant, screens marked`() {
        val state = joined.afterAll(
            MeetingEvent.ParticipantJoined(participant("5e6f7a8b", "Bob")),
            MeetingEvent.RemoteTrackAdded("5e6f7a8b", "5e6f7a8b-v0", MediaKind.VIDEO),
            MeetingEvent.RemoteTrackAdded("5e6f7a8b", "5e6f7a8b-v1", MediaKind.VIDEO),
            MeetingEvent.RemoteTrackAdded("9a0b1c2d", "9a0b1c2d-v0", MediaKind.VIDEO),
        )
        assertEquals(listOf("Bob", "Bob (screen)", "9a0b1c2d"), state.remote.video.map { state.label(it) })
        val bobLeft = state.after(MeetingEvent.ParticipantLeft("5e6f7a8b", "Bob"))
        assertEquals(listOf("9a0b1c2d-v0"), bobLeft.remote.video.map { it.sourceName })
    }
}
