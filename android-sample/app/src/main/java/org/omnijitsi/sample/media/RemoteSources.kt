package org.omnijitsi.sample.media

import org.omnijitsi.meet.MediaKind
import org.omnijitsi.meet.MeetingEvent

/** One remote track: `ENDPOINT-a0`, `ENDPOINT-v0` (camera) or `ENDPOINT-v1` (screen). */
data class RemoteSource(val sourceName: String, val endpointId: String)

/**
 * Which remote sources exist, from the SDK's track events: the audio ones are what the mixer
 * pulls, the video ones are the grid's tiles, in the order they appeared.
 */
data class RemoteSources(
    val audio: List<RemoteSource> = emptyList(),
    val video: List<RemoteSource> = emptyList(),
) {
    fun after(event: MeetingEvent): RemoteSources = when (event) {
        is MeetingEvent.RemoteTrackAdded -> {
            val source = RemoteSource(event.sourceName, event.endpointId)
            when (event.kind) {
                MediaKind.AUDIO -> copy(audio = audio.with(source))
                MediaKind.VIDEO -> copy(video = video.with(source))
            }
        }
        is MeetingEvent.RemoteTrackRemoved -> copy(
            audio = audio.filter { it.sourceName != event.sourceName },
            video = video.filter { it.sourceName != event.sourceName },
        )
        // A leave may end the media session without a removal per track.
        is MeetingEvent.ParticipantLeft -> copy(
            audio = audio.filter { it.endpointId != event.endpointId },
            video = video.filter { it.endpointId != event.endpointId },
        )
        is MeetingEvent.ConferenceTerminated -> RemoteSources()
        else -> this
    }

    val audioSourceNames: List<String> get() = audio.map { it.sourceName }

    /** A near-square grid: 1 tile alone, 2 side by side, 3-4 in 2x2, 5-6 in 3x2, 7-9 in 3x3. */
    val columns: Int get() = grid(video.size).first

    val rows: Int get() = grid(video.size).second

    private fun grid(tiles: Int): Pair<Int, Int> {
        if (tiles == 0) return 0 to 0
        var columns = 1
        while (columns * columns < tiles) columns++
        return columns to (tiles + columns - 1) / columns
    }

    /** A renamed track (the same name announced again) keeps its tile. */
    private fun List<RemoteSource>.with(source: RemoteSource) =
        if (any { it.sourceName == source.sourceName }) map { if (it.sourceName == source.sourceName) source else it } else this + source
}
