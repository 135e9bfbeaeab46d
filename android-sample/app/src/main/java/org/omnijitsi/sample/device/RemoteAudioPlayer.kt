package org.omnijitsi.sample.device

import android.media.AudioAttributes
import android.media.AudioFormat
import android.media.AudioManager
import android.media.AudioTrack
import android.util.Log
import org.omnijitsi.meet.Meeting
import org.omnijitsi.meet.MeetingException
import org.omnijitsi.sample.media.RemoteAudioMixer
import org.omnijitsi.sample.media.SAMPLE_RATE

/**
 * Plays everyone else: a thread pulls 10 ms of each remote audio source from the SDK, mixes
 * them and writes the mix to an AudioTrack in blocking mode, so the device's clock paces the
 * pulls and the SDK's jitter buffers absorb the network's timing.
 *
 * [sources] is read on every buffer; the screen updates it from the track events.
 */
class RemoteAudioPlayer(meeting: Meeting, private val sources: () -> List<String>) {
    private val mixer = RemoteAudioMixer { source, samples ->
        try {
            meeting.pullRemoteAudio(source, samples.toUInt())
        } catch (_: MeetingException) {
            // The meeting ended or the source went away between two buffers: play silence.
            null
        }
    }

    @Volatile
    private var running = false
    private var thread: Thread? = null

    fun start() {
        if (thread != null) return
        val format = AudioFormat.Builder()
            .setSampleRate(SAMPLE_RATE)
            .setChannelMask(AudioFormat.CHANNEL_OUT_MONO)
            .setEncoding(AudioFormat.ENCODING_PCM_16BIT)
            .build()
        // Voice communication routes to the earpiece or headset and pairs with the
        // VOICE_COMMUNICATION microphone for echo cancellation.
        val attributes = AudioAttributes.Builder()
            .setUsage(AudioAttributes.USAGE_VOICE_COMMUNICATION)
            .setContentType(AudioAttributes.CONTENT_TYPE_SPEECH)
            .build()
        val minimum = AudioTrack.getMinBufferSize(SAMPLE_RATE, AudioFormat.CHANNEL_OUT_MONO, AudioFormat.ENCODING_PCM_16BIT)
        val track = AudioTrack(
            attributes,
            format,
            maxOf(minimum, FRAME * 2 * 4),
            AudioTrack.MODE_STREAM,
            AudioManager.AUDIO_SESSION_ID_GENERATE,
        )
        if (track.state != AudioTrack.STATE_INITIALIZED) {
            track.release()
            Log.w(TAG, "the speaker could not be opened")
            return
        }
        running = true
        thread = Thread({
            track.play()
            try {
                while (running) {
                    val mix = mixer.next(sources(), FRAME)
                    track.write(mix, 0, mix.size)
                }
            } finally {
                track.stop()
                track.release()
            }
        }, "remote-audio").also {
            it.priority = Thread.MAX_PRIORITY
            it.start()
        }
    }

    fun stop() {
        running = false
        thread?.join()
        thread = null
    }

    private companion object {
        const val TAG = "OmniJitsiSample"

        /** 10 ms at 48 kHz. */
        const val FRAME = SAMPLE_RATE / 100
    }
}
