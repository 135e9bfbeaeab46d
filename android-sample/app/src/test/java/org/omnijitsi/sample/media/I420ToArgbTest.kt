package org.omnijitsi.sample.media

import org.junit.Test
import org.omnijitsi.meet.VideoFrame
import kotlin.math.abs
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/** BT.601 limited-range YUV of the usual test colours (ITU-R BT.601 colour bars at 100 %). */
private data class Yuv(val y: Int, val u: Int, val v: Int)

private val WHITE = Yuv(235, 128, 128)
private val BLACK = Yuv(16, 128, 128)
private val RED = Yuv(81, 90, 240)
private val GREEN = Yuv(145, 54, 34)
private val BLUE = Yuv(41, 240, 110)

/** One 2x2 block per colour, left to right, with padded rows as a decoder may hand them over. */
private fun bars(vararg colours: Yuv, rotation: Int = 0): VideoFrame {
    val width = colours.size * 2
    val strideY = width + 3
    val strideC = colours.size + 5
    val y = ByteArray(strideY * 2)
    val u = ByteArray(strideC)
    val v = ByteArray(strideC)
    colours.forEachIndexed { i, c ->
        for (row in 0..1) for (column in 0..1) y[row * strideY + i * 2 + column] = c.y.toByte()
        u[i] = c.u.toByte()
        v[i] = c.v.toByte()
    }
    return VideoFrame(
        width = width.toUInt(), height = 2u, timestampUs = 0uL, rotationDegrees = rotation.toUShort(),
        y = y, u = u, v = v, strideY = strideY.toUInt(), strideU = strideC.toUInt(), strideV = strideC.toUInt(),
    )
}

private fun rgb(argb: Int) = Triple((argb shr 16) and 0xff, (argb shr 8) and 0xff, argb and 0xff)

private fun assertColour(expected: Triple<Int, Int, Int>, argb: Int) {
    assertEquals(0xff, argb ushr 24, "opaque")
    val actual = rgb(argb)
    // The standard's YUV values are themselves rounded to whole numbers.
    assertTrue(
        abs(actual.first - expected.first) <= 2 && abs(actual.second - expected.second) <= 2 &&
            abs(actual.third - expected.third) <= 2,
        "expected $expected, got $actual",
    )
}

class I420ToArgbTest {
    @Test
    fun `colour bars come out in their colours, black at Y 16 and white at Y 235`() {
        val picture = I420ToArgb.convert(bars(WHITE, BLACK, RED, GREEN, BLUE))
        assertEquals(10 to 2, picture.width to picture.height)
        val expected = listOf(
            Triple(255, 255, 255), Triple(0, 0, 0), Triple(255, 0, 0), Triple(0, 255, 0), Triple(0, 0, 255),
        )
        expected.forEachIndexed { i, colour ->
            for (row in 0..1) for (column in 0..1) assertColour(colour, picture.pixel(i * 2 + column, row))
        }
    }

    @Test
    fun `a quarter turn clockwise puts the left of the picture on top`() {
        val picture = I420ToArgb.convert(bars(RED, BLUE, rotation = 90))
        assertEquals(2 to 4, picture.width to picture.height)
        for (x in 0..1) {
            assertColour(Triple(255, 0, 0), picture.pixel(x, 0))
            assertColour(Triple(255, 0, 0), picture.pixel(x, 1))
            assertColour(Triple(0, 0, 255), picture.pixel(x, 2))
            assertColour(Triple(0, 0, 255), picture.pixel(x, 3))
        }
    }

    @Test
    fun `half and three quarter turns`() {
        val upsideDown = I420ToArgb.convert(bars(RED, BLUE, rotation = 180))
        assertColour(Triple(0, 0, 255), upsideDown.pixel(0, 0))
        assertColour(Triple(255, 0, 0), upsideDown.pixel(3, 1))
        val left = I420ToArgb.convert(bars(RED, BLUE, rotation = 270))
        assertEquals(2 to 4, left.width to left.height)
        assertColour(Triple(0, 0, 255), left.pixel(0, 0))
        assertColour(Triple(255, 0, 0), left.pixel(1, 3))
    }

    @Test
    fun `broken frames are refused with a typed error`() {
        val frame = bars(RED, BLUE)
        assertFailsWith<FrameFormatException.PlaneTooSmall> { I420ToArgb.convert(frame.copy(u = ByteArray(1))) }
        assertFailsWith<FrameFormatException.BadStride> { I420ToArgb.convert(frame.copy(strideY = 2u)) }
        assertFailsWith<FrameFormatException.BadRotation> { I420ToArgb.convert(frame.copy(rotationDegrees = 45u)) }
        assertFailsWith<FrameFormatException.BadSize> { I420ToArgb.convert(frame.copy(width = 0u)) }
        assertFailsWith<FrameFormatException.BadSize> { I420ToArgb.convert(frame.copy(height = 100_000u)) }
    }
}
