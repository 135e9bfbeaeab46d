package org.omnijitsi.sample.session

import org.omnijitsi.meet.MeetingOptions
import org.omnijitsi.sample.permissions.JoinPlan

/** The join screen's fields as typed. */
data class JoinForm(
    val serverUrl: String,
    val room: String,
    val displayName: String,
    val email: String,
    val avatarUrl: String,
) {
    /**
     * Only what the SDK cannot say better: it refuses bad room names and server URLs itself with
     * `MeetingException.InvalidRoomName` / `InvalidServerUrl` and a readable message.
     */
    val problem: String?
        get() = if (room.isBlank()) "Enter a room name" else null

    /** Refused permissions become audio-only / muted instead of a failed join. */
    fun toOptions(plan: JoinPlan): MeetingOptions = MeetingOptions(
        room = room.trim(),
        serverUrl = serverUrl.trim(),
        displayName = displayName.trim().ifEmpty { null },
        email = email.trim().ifEmpty { null },
        avatarUrl = avatarUrl.trim().ifEmpty { null },
        audioMuted = plan.audioMuted,
        audioOnly = plan.audioOnly,
    )
}
