package org.omnijitsi.sample.session

import org.omnijitsi.meet.MeetingEvent
import org.omnijitsi.meet.Participant

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
) {
    fun after(event: MeetingEvent): MeetingState = when (event) {
        is MeetingEvent.ConferenceJoined -> copy(phase = Phase.JOINED, room = event.room, notice = null)
        is MeetingEvent.ParticipantJoined -> withParticipant(event.participant)
        is MeetingEvent.ParticipantUpdated -> withParticipant(event.participant)
        is MeetingEvent.ParticipantLeft -> copy(participants = participants - event.endpointId)
        is MeetingEvent.ChatMessageReceived -> {
            val m = event.message
            copy(chat = chat + ChatLine(from = m.fromName ?: m.from, text = m.text, private = m.private))
        }
        is MeetingEvent.ConferenceTerminated -> copy(
            phase = Phase.ENDED,
            participants = emptyMap(),
            notice = event.message ?: "Left ${room ?: "the meeting"}",
        )
        is MeetingEvent.Error -> copy(notice = event.message)
        else -> this
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
