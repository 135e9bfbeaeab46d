package org.omnijitsi.sample.media

import org.junit.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

class AudioChunkerTest {
    /** A ramp, so any lost, repeated or reordered sample shows. */
    private val microphone = ShortArray(5_000) { (it * 7 - 16_000).toShort() }

    private fun readInBursts(chunker: AudioChunker, bursts: List<Int>) = buildList {
        var at = 0
        for (burst in bursts) {
            // AudioRecord fills the start of a reused buffer and says how much it read.
            val buffer = ShortArray(1_024) { Short.MIN_VALUE }
            microphone.copyInto(buffer, 0, at, at + burst)
            addAll(chunker.push(buffer, burst))
            at += burst
        }
    }

    @Test
    fun `reads of any size come out as exact 10 ms frames in order`() {
        val frames = readInBursts(AudioChunker(frameMs = 10), listOf(7, 500, 1_000, 413, 1_024, 96))
        // 3040 samples read: six whole frames of 480, 160 samples wait for the next read.
        assertEquals(6, frames.size)
        assertTrue(frames.all { it.samples.size == 480 && it.sampleRate == 48_000u && it.channels.toInt() == 1 })
        assertContentEquals(microphone.copyOf(6 * 480), frames.flatMap { it.samples }.toShortArray())
    }

    @Test
    fun `timestamps rise by exactly one frame from the start`() {
        val frames = readInBursts(AudioChunker(frameMs = 20, startUs = 1_000_000), listOf(1_000, 1_000, 1_000, 900))
        assertEquals(4, frames.size)
        assertEquals(listOf(1_000_000uL, 1_020_000uL, 1_040_000uL, 1_060_000uL), frames.map { it.timestampUs })
        assertTrue(frames.all { it.samples.size == 960 })
    }

    @Test
    fun `a read shorter than a frame waits for the next one`() {
        val chunker = AudioChunker(frameMs = 10)
        assertEquals(emptyList(), chunker.push(microphone, 479))
        val frame = chunker.push(microphone.copyOfRange(479, 480)).single()
        assertContentEquals(microphone.copyOf(480), frame.samples.toShortArray())
    }

    @Test
    fun `impossible counts and frame lengths are refused`() {
        assertFailsWith<FrameFormatException.BadFrameDuration> { AudioChunker(frameMs = 15) }
        val chunker = AudioChunker(frameMs = 10)
        assertFailsWith<FrameFormatException.BadCount> { chunker.push(ShortArray(10), 11) }
        assertFailsWith<FrameFormatException.BadCount> { chunker.push(ShortArray(10), -1) }
    }
}
