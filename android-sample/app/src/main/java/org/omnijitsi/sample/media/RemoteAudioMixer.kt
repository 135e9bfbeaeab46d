package org.omnijitsi.sample.media

import org.omnijitsi.meet.AudioFrame

/** One remote source's audio for the next output buffer, as `Meeting.pullRemoteAudio` gives it. */
fun interface RemoteAudioPuller {
    /** Null until the source's first packet arrived. */
    fun pull(sourceName: String, samplesPerChannel: Int): AudioFrame?
}

/**
 * The speaker's buffer: every remote audio source pulled for the same span and summed into
 * mono. The SDK gives one jitter buffer per source and leaves mixing to the app, which owns
 * the output device.
 */
class RemoteAudioMixer(private val puller: RemoteAudioPuller) {
    /** [samplesPerChannel] mono samples at 48 kHz; silence when nobody is sending yet. */
    fun next(sources: Collection<String>, samplesPerChannel: Int): ShortArray =
        mix(sources.map { puller.pull(it, samplesPerChannel) }, samplesPerChannel)

    companion object {
        /**
         * Sums [frames] (mono, or stereo averaged to mono) with saturation: two loud voices clip
         * at full scale instead of wrapping round to the opposite sign, which sounds far worse.
         * A frame shorter than [samplesPerChannel] contributes silence after its end.
         */
        fun mix(frames: List<AudioFrame?>, samplesPerChannel: Int): ShortArray {
            val sum = IntArray(samplesPerChannel)
            for (frame in frames) {
                if (frame == null) continue
                val channels = frame.channels.toInt()
                if (channels < 1) continue
                val samples = frame.samples
                val available = minOf(samplesPerChannel, samples.size / channels)
                for (i in 0 until available) {
                    sum[i] += if (channels == 1) {
                        samples[i].toInt()
                    } else {
                        (samples[i * channels].toInt() + samples[i * channels + 1].toInt()) / 2
                    }
                }
            }
            return ShortArray(samplesPerChannel) { sum[it].coerceIn(Short.MIN_VALUE.toInt(), Short.MAX_VALUE.toInt()).toShort() }
        }
    }
}
