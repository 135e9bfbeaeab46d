package org.omnijitsi.sample.media

import org.junit.Test
import java.nio.ByteBuffer
import kotlin.math.abs
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

class RgbaToI420Test {
    /** [colours] as 2x2 blocks left to right, RGBA rows padded as a virtual display's are. */
    private fun screen(vararg colours: Triple<Int, Int, Int>): Pair<ByteBuffer, Int> {
        val rowStride = colours.size * 2 * 4 + 16
        val bytes = ByteArray(rowStride * 2) { 0x55 }
        colours.forEachIndexed { i, (r, g, b) ->
            for (row in 0..1) for (dx in 0..1) {
                val at = row * rowStride + (i * 2 + dx) * 4
                bytes[at] = r.toByte(); bytes[at + 1] = g.toByte(); bytes[at + 2] = b.toByte(); bytes[at + 3] = -1
            }
        }
        return ByteBuffer.wrap(bytes) to rowStride
    }

    private fun near(expected: Int, actual: Byte) = abs(expected - (actual.toInt() and 0xff)) <= 1

    @Test
    fun `screen colours become their BT 601 limited range values`() {
        val (pixels, stride) = screen(Triple(255, 255, 255), Triple(0, 0, 0), Triple(255, 0, 0), Triple(0, 0, 255))
        val frame = RgbaToI420.convert(8, 2, pixels, stride, 1_000)
        val expected = listOf(Triple(235, 128, 128), Triple(16, 128, 128), Triple(81, 90, 240), Triple(41, 240, 110))
        expected.forEachIndexed { i, (y, u, v) ->
            assertTrue(near(y, frame.y[i * 2]) && near(y, frame.y[8 + i * 2 + 1]), "luma of block $i")
            assertTrue(near(u, frame.u[i]) && near(v, frame.v[i]), "chroma of block $i")
        }
        assertEquals(listOf(8u, 4u, 4u), listOf(frame.strideY, frame.strideU, frame.strideV))
    }

    @Test
    fun `a screen picture survives the trip to I420 and back to the viewer's pixels`() {
        val colours = arrayOf(Triple(200, 40, 90), Triple(20, 180, 60), Triple(90, 90, 250))
        val (pixels, stride) = screen(*colours)
        val shown = I420ToArgb.convert(RgbaToI420.convert(6, 2, pixels, stride, 0))
        colours.forEachIndexed { i, (r, g, b) ->
            val argb = shown.pixel(i * 2 + 1, 1)
            val back = Triple((argb shr 16) and 0xff, (argb shr 8) and 0xff, argb and 0xff)
            assertTrue(abs(back.first - r) <= 3 && abs(back.second - g) <= 3 && abs(back.third - b) <= 3, "$back for ${colours[i]}")
        }
    }

    @Test
    fun `odd sizes and short buffers are refused`() {
        val (pixels, stride) = screen(Triple(0, 0, 0))
        assertFailsWith<FrameFormatException.BadSize> { RgbaToI420.convert(3, 2, pixels, stride, 0) }
        assertFailsWith<FrameFormatException.BadStride> { RgbaToI420.convert(2, 2, pixels, 4, 0) }
        assertFailsWith<FrameFormatException.PlaneTooSmall> { RgbaToI420.convert(2, 4, pixels, stride, 0) }
    }
}
