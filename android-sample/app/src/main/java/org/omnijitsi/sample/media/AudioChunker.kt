package org.omnijitsi.sample.media

import org.omnijitsi.meet.AudioFrame

const val SAMPLE_RATE = 48_000

/**
 * Cuts 48 kHz mono microphone reads of any length into the exact 10 or 20 ms frames the SDK
 * takes. AudioRecord returns whatever it has (a device's burst size, not ours). Timestamps
 * count samples from [startUs] rather than reading a clock, so they rise by exactly one frame
 * each time, as the encoder's RTP clock expects.
 */
class AudioChunker(frameMs: Int, private val startUs: Long = 0) {
    init {
        if (frameMs != 10 && frameMs != 20) throw FrameFormatException.BadFrameDuration(frameMs)
    }

    private val frameUs = frameMs * 1_000L
    val samplesPerFrame = SAMPLE_RATE / 1_000 * frameMs
    private val pending = ShortArray(samplesPerFrame)
    private var filled = 0
    private var framesOut = 0L

    /** The frames completed by the first [count] samples of [samples], oldest first. */
    fun push(samples: ShortArray, count: Int = samples.size): List<AudioFrame> {
        if (count < 0 || count > samples.size) throw FrameFormatException.BadCount(count, samples.size)
        val frames = ArrayList<AudioFrame>(count / samplesPerFrame + 1)
        var read = 0
        while (read < count) {
            val taken = minOf(count - read, samplesPerFrame - filled)
            samples.copyInto(pending, filled, read, read + taken)
            filled += taken
            read += taken
            if (filled == samplesPerFrame) {
                frames += AudioFrame(
                    sampleRate = SAMPLE_RATE.toUInt(),
                    channels = 1u,
                    samples = pending.copyOf().asList(),
                    timestampUs = (startUs + framesOut * frameUs).toULong(),
                )
                framesOut++
                filled = 0
            }
        }
        return frames
    }
}
