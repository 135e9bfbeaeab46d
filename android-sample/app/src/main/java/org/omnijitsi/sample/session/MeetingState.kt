package org.omnijitsi.sample.session

import org.omnijitsi.meet.MeetingEvent
import org.omnijitsi.meet.Participant
import org.omnijitsi.sample.media.RemoteSource
import org.omnijitsi.sample.media.RemoteSources

// Everything under session/ is plain Kotlin over the SDK, with no Android classes:
// `cargo xtask test` compiles it against the generated bindings and runs its tests on the JVM.

enum class Phase { IDLE, JOINING, JOINED, ENDED }

data class ChatLine(val from: String, val text: String, val private: Boolean)

/** What the meeting screen shows, rebuilt from the SDK's events. */
data class MeetingState(
    val phase: Phase = Phase.IDLE,
    val room: String? = null,
    /** Everyone else, by endpoint id, in the order they arrived. */
    val participants: Map<String, Participant> = emptyMap(),
    val chat: List<ChatLine> = emptyList(),
    /** Why the meeting ended or the last problem, for the status line. */
    val notice: String? = null,
    /** Others' audio to play and video to show. */
    val remote: RemoteSources = RemoteSources(),
    val audioMuted: Boolean = false,
    val videoMuted: Boolean = false,
    /** What the permission flow left us: without it the device is never opened. */
    val cameraAllowed: Boolean = true,
    val microphoneAllowed: Boolean = true,
) {
    fun after(event: MeetingEvent): MeetingState = when (event) {
        is MeetingEvent.ConferenceJoined -> copy(phase = Phase.JOINED, room = event.room, notice = null)
        is MeetingEvent.ParticipantJoined -> withParticipant(event.participant)
        is MeetingEvent.ParticipantUpdated -> withParticipant(event.participant)
        is MeetingEvent.ParticipantLeft -> copy(
            participants = participants - event.endpointId,
            remote = remote.after(event),
        )
        is MeetingEvent.RemoteTrackAdded, is MeetingEvent.RemoteTrackRemoved -> copy(remote = remote.after(event))
        is MeetingEvent.AudioMutedChanged -> copy(audioMuted = event.muted)
        is MeetingEvent.VideoMutedChanged -> copy(videoMuted = event.muted)
        is MeetingEvent.ChatMessageReceived -> {
            val m = event.message
            copy(chat = chat + ChatLine(from = m.fromName ?: m.from, text = m.text, private = m.private))
        }
        is MeetingEvent.ConferenceTerminated -> copy(
            phase = Phase.ENDED,
            participants = emptyMap(),
            remote = remote.after(event),
            notice = event.message ?: "Left ${room ?: "the meeting"}",
        )
        is MeetingEvent.Error -> copy(notice = event.message)
        else -> this
    }

    /**
     * Capture runs only while it can reach anyone and is wanted: a muted camera is closed (its
     * light goes off) rather than left capturing frames the SDK would drop.
     */
    val cameraOn: Boolean get() = phase == Phase.JOINED && cameraAllowed && !videoMuted

    val microphoneOn: Boolean get() = phase == Phase.JOINED && microphoneAllowed && !audioMuted

    /** The name under a video tile: the participant's, "(screen)" for a second video source. */
    fun label(source: RemoteSource): String {
        val name = participants[source.endpointId]?.displayName ?: source.endpointId
        return if (source.sourceName.endsWith("-v1")) "$name (screen)" else name
    }

    private fun withParticipant(p: Participant) = copy(participants = participants + (p.endpointId to p))

    val statusLine: String
        get() = when (phase) {
            Phase.IDLE -> notice.orEmpty()
            Phase.JOINING -> "Joining ${room.orEmpty()}…"
            Phase.JOINED -> "In ${room.orEmpty()}" + (notice?.let { " ($it)" } ?: "")
            Phase.ENDED -> notice.orEmpty()
        }

    val participantsLine: String
        get() = when {
            participants.isEmpty() -> "Nobody else is here yet"
            else -> "With " + participants.values.joinToString(", ") { it.displayName ?: it.endpointId }
        }
}

fun ChatLine.render(): String = if (private) "$from (privately): $text" else "$from: $text"
