package org.omnijitsi.sample.media

import org.omnijitsi.meet.VideoFrame
import java.nio.ByteBuffer

/**
 * One plane of a YUV_420_888 picture as `Image.Plane` describes it. Its buffer starts at the
 * plane's first sample (its position); the last row may stop right after its last sample,
 * since Android does not pad the end of a plane.
 */
class YuvPlane(val buffer: ByteBuffer, val rowStride: Int, val pixelStride: Int)

/**
 * Packs the camera's YUV_420_888 planes into the tightly packed I420 the SDK encodes. The
 * format promises nothing about layout: chroma may be planar (pixel stride 1) or interleaved
 * NV12/NV21-style (pixel stride 2, U and V buffers overlapping), and rows may be padded.
 */
object YuvPlanePacker {
    fun pack(
        width: Int,
        height: Int,
        y: YuvPlane,
        u: YuvPlane,
        v: YuvPlane,
        rotationDegrees: Int,
        timestampUs: Long,
    ): VideoFrame {
        if (width <= 0 || height <= 0 || width % 2 != 0 || height % 2 != 0) {
            // The encoder takes I420 with whole chroma samples only.
            throw FrameFormatException.BadSize(width, height, "sizes must be even and non-zero")
        }
        val rotation = checkedRotation(rotationDegrees)
        val chromaWidth = width / 2
        val chromaHeight = height / 2
        return VideoFrame(
            width = width.toUInt(),
            height = height.toUInt(),
            timestampUs = timestampUs.coerceAtLeast(0).toULong(),
            rotationDegrees = rotation.toUShort(),
            y = copyPlane("y", y, width, height),
            u = copyPlane("u", u, chromaWidth, chromaHeight),
            v = copyPlane("v", v, chromaWidth, chromaHeight),
            strideY = width.toUInt(),
            strideU = chromaWidth.toUInt(),
            strideV = chromaWidth.toUInt(),
        )
    }

    private fun copyPlane(name: String, plane: YuvPlane, columns: Int, rows: Int): ByteArray {
        val (rowStride, pixelStride) = plane.rowStride to plane.pixelStride
        if (pixelStride < 1 || rowStride < (columns - 1) * pixelStride + 1) {
            throw FrameFormatException.BadStride(name, rowStride, pixelStride)
        }
        val needed = rowStride.toLong() * (rows - 1) + (columns - 1).toLong() * pixelStride + 1
        val available = plane.buffer.remaining()
        if (needed > available) throw FrameFormatException.PlaneTooSmall(name, available, needed.toInt())
        val base = plane.buffer.position()
        val out = ByteArray(columns * rows)
        if (pixelStride == 1) {
            // Bulk row copies: the common planar case costs one memcpy per row.
            val source = plane.buffer.duplicate()
            for (row in 0 until rows) {
                source.position(base + row * rowStride)
                source.get(out, row * columns, columns)
            }
        } else {
            for (row in 0 until rows) {
                val start = base + row * rowStride
                val at = row * columns
                for (column in 0 until columns) {
                    out[at + column] = plane.buffer.get(start + column * pixelStride)
                }
            }
        }
        return out
    }
}

internal fun checkedRotation(degrees: Int): Int = when (degrees) {
    0, 90, 180, 270 -> degrees
    else -> throw FrameFormatException.BadRotation(degrees)
}

/**
 * How far to turn a camera picture clockwise to show it upright, as WebRTC's Camera2Session
 * computes it: the sensor's mounting angle, corrected by how the display is turned. A front
 * camera faces the user, so the display's turn counts the other way.
 */
fun cameraFrameRotation(sensorOrientation: Int, displayRotationDegrees: Int, frontFacing: Boolean): Int {
    checkedRotation(sensorOrientation)
    checkedRotation(displayRotationDegrees)
    val device = if (frontFacing) displayRotationDegrees else 360 - displayRotationDegrees
    return (sensorOrientation + device) % 360
}
