package org.omnijitsi.sample.media

import org.junit.Test
import org.omnijitsi.meet.AudioFrame
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals

private fun mono(vararg samples: Int) = AudioFrame(48_000u, 1u, samples.map { it.toShort() }, 0uL)
private fun stereo(vararg samples: Int) = AudioFrame(48_000u, 2u, samples.map { it.toShort() }, 0uL)

class RemoteAudioMixerTest {
    @Test
    fun `two speakers are summed sample by sample`() {
        val mixed = RemoteAudioMixer.mix(listOf(mono(1_000, -200, 5), mono(-300, -300, 5)), 3)
        assertContentEquals(shortArrayOf(700, -500, 10), mixed)
    }

    @Test
    fun `loud speakers clip at full scale instead of wrapping round`() {
        val mixed = RemoteAudioMixer.mix(listOf(mono(30_000, -30_000), mono(10_000, -10_000), mono(5_000, -5_000)), 2)
        assertContentEquals(shortArrayOf(Short.MAX_VALUE, Short.MIN_VALUE), mixed)
    }

    @Test
    fun `stereo is folded to mono and silent or short sources add nothing`() {
        val mixed = RemoteAudioMixer.mix(listOf(stereo(1_000, 3_000, -400, 0), null, mono(1)), 3)
        assertContentEquals(shortArrayOf(2_001, -200, 0), mixed)
    }

    @Test
    fun `every remote audio source is pulled for the same span`() {
        val asked = mutableListOf<Pair<String, Int>>()
        val levels = mapOf("a1b2-a0" to 100, "c3d4-a0" to 20)
        val mixer = RemoteAudioMixer { source, samples ->
            asked += source to samples
            levels[source]?.let { level -> AudioFrame(48_000u, 1u, List(samples) { level.toShort() }, 0uL) }
        }
        val mixed = mixer.next(listOf("a1b2-a0", "c3d4-a0", "e5f6-a0"), 480)
        assertEquals(listOf("a1b2-a0" to 480, "c3d4-a0" to 480, "e5f6-a0" to 480), asked)
        assertEquals(480, mixed.size)
        assertEquals(setOf<Short>(120), mixed.toSet())
    }
}
