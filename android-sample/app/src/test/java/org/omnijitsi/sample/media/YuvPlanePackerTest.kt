package org.omnijitsi.sample.media

import org.junit.Test
import java.nio.ByteBuffer
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith

/** Samples a camera might deliver: every value tells its plane, row and column apart. */
private fun luma(row: Int, column: Int) = (16 + row * 20 + column).toByte()
private fun cb(row: Int, column: Int) = (100 + row * 10 + column).toByte()
private fun cr(row: Int, column: Int) = (200 + row * 10 + column).toByte()

private const val PADDING: Byte = 0x7f

/** A plane laid out with [rowStride] and [pixelStride], the gaps filled with [PADDING]. */
private fun plane(columns: Int, rows: Int, rowStride: Int, pixelStride: Int, sample: (Int, Int) -> Byte): YuvPlane {
    val size = rowStride * (rows - 1) + (columns - 1) * pixelStride + 1
    val bytes = ByteArray(size) { PADDING }
    for (row in 0 until rows) for (column in 0 until columns) bytes[row * rowStride + column * pixelStride] = sample(row, column)
    return YuvPlane(ByteBuffer.wrap(bytes), rowStride, pixelStride)
}

private fun tight(columns: Int, rows: Int, sample: (Int, Int) -> Byte) =
    ByteArray(columns * rows) { sample(it / columns, it % columns) }

class YuvPlanePackerTest {
    @Test
    fun `padded planar rows are packed without their padding`() {
        val frame = YuvPlanePacker.pack(
            width = 6,
            height = 4,
            y = plane(6, 4, rowStride = 16, pixelStride = 1, sample = ::luma),
            u = plane(3, 2, rowStride = 8, pixelStride = 1, sample = ::cb),
            v = plane(3, 2, rowStride = 8, pixelStride = 1, sample = ::cr),
            rotationDegrees = 90,
            timestampUs = 33_333,
        )
        assertContentEquals(tight(6, 4, ::luma), frame.y)
        assertContentEquals(tight(3, 2, ::cb), frame.u)
        assertContentEquals(tight(3, 2, ::cr), frame.v)
        assertEquals(listOf(6u, 3u, 3u), listOf(frame.strideY, frame.strideU, frame.strideV))
        assertEquals(90.toUShort(), frame.rotationDegrees)
        assertEquals(33_333uL, frame.timestampUs)
    }

    @Test
    fun `interleaved chroma with pixel stride 2 is split into U and V`() {
        // Most phones: one NV12 buffer, U at even bytes and V at odd ones; the V plane's buffer
        // starts one byte in, and both end at their last sample.
        val columns = 3
        val rows = 2
        val rowStride = 8
        val uv = ByteArray(rowStride * (rows - 1) + columns * 2) { PADDING }
        for (row in 0 until rows) for (column in 0 until columns) {
            uv[row * rowStride + column * 2] = cb(row, column)
            uv[row * rowStride + column * 2 + 1] = cr(row, column)
        }
        val u = YuvPlane(ByteBuffer.wrap(uv, 0, uv.size - 1).slice(), rowStride, 2)
        val v = YuvPlane(ByteBuffer.wrap(uv, 1, uv.size - 1).slice(), rowStride, 2)
        val frame = YuvPlanePacker.pack(6, 4, plane(6, 4, 6, 1, ::luma), u, v, 0, 0)
        assertContentEquals(tight(3, 2, ::cb), frame.u)
        assertContentEquals(tight(3, 2, ::cr), frame.v)
    }

    @Test
    fun `a plane read starts at its buffer's position`() {
        val bytes = byteArrayOf(9, 9, 9) + tight(2, 2, ::luma)
        val y = YuvPlane(ByteBuffer.wrap(bytes).position(3), rowStride = 2, pixelStride = 1)
        val chroma = plane(1, 1, 1, 1, ::cb)
        val frame = YuvPlanePacker.pack(2, 2, y, chroma, chroma, 0, 0)
        assertContentEquals(tight(2, 2, ::luma), frame.y)
    }

    @Test
    fun `odd or empty sizes are refused with a typed error`() {
        val y = plane(5, 4, 5, 1, ::luma)
        val c = plane(3, 2, 3, 1, ::cb)
        val odd = assertFailsWith<FrameFormatException.BadSize> { YuvPlanePacker.pack(5, 4, y, c, c, 0, 0) }
        assertEquals(5, odd.width)
        assertFailsWith<FrameFormatException.BadSize> { YuvPlanePacker.pack(0, 4, y, c, c, 0, 0) }
    }

    @Test
    fun `short planes, impossible strides and odd rotations are refused`() {
        val y = plane(4, 2, 4, 1, ::luma)
        val c = plane(2, 1, 2, 1, ::cb)
        val short = YuvPlane(ByteBuffer.wrap(ByteArray(7)), 4, 1)
        val tooSmall = assertFailsWith<FrameFormatException.PlaneTooSmall> { YuvPlanePacker.pack(4, 2, short, c, c, 0, 0) }
        assertEquals(listOf("y", "7", "8"), listOf(tooSmall.plane, "${tooSmall.bytes}", "${tooSmall.needed}"))
        assertFailsWith<FrameFormatException.BadStride> {
            YuvPlanePacker.pack(4, 2, y, YuvPlane(ByteBuffer.wrap(ByteArray(8)), 2, 2), c, 0, 0)
        }
        assertFailsWith<FrameFormatException.BadStride> {
            YuvPlanePacker.pack(4, 2, y, c, YuvPlane(ByteBuffer.wrap(ByteArray(8)), 2, 0), 0, 0)
        }
        assertFailsWith<FrameFormatException.BadRotation> { YuvPlanePacker.pack(4, 2, y, c, c, 45, 0) }
    }

    @Test
    fun `camera rotation follows the sensor and the display like WebRTC's capturer`() {
        // A back sensor mounted at 90 degrees, phone upright: turn the picture a quarter clockwise.
        assertEquals(90, cameraFrameRotation(90, 0, frontFacing = false))
        // Phone turned to landscape (display rotation 90): the sensor is now level.
        assertEquals(0, cameraFrameRotation(90, 90, frontFacing = false))
        assertEquals(180, cameraFrameRotation(90, 270, frontFacing = false))
        // Front sensors are usually mounted at 270 and see the display's turn the other way.
        assertEquals(270, cameraFrameRotation(270, 0, frontFacing = true))
        assertEquals(0, cameraFrameRotation(270, 90, frontFacing = true))
        assertFailsWith<FrameFormatException.BadRotation> { cameraFrameRotation(100, 0, frontFacing = false) }
    }
}
