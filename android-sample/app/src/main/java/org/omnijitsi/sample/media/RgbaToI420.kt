package org.omnijitsi.sample.media

import org.omnijitsi.meet.VideoFrame
import java.nio.ByteBuffer

/**
 * Screen pictures (an ImageReader in RGBA_8888, the one format every virtual display renders
 * to) to the I420 the SDK encodes, BT.601 limited range as the receivers' decoders assume.
 * Chroma is the average of each 2x2 block, so thin coloured text keeps its hue.
 */
object RgbaToI420 {
    fun convert(width: Int, height: Int, rgba: ByteBuffer, rowStride: Int, timestampUs: Long): VideoFrame {
        if (width <= 0 || height <= 0 || width % 2 != 0 || height % 2 != 0) {
            throw FrameFormatException.BadSize(width, height, "sizes must be even and non-zero")
        }
        if (rowStride < width * 4) throw FrameFormatException.BadStride("rgba", rowStride, 4)
        val needed = rowStride.toLong() * (height - 1) + width * 4L
        if (rgba.remaining() < needed) throw FrameFormatException.PlaneTooSmall("rgba", rgba.remaining(), needed.toInt())
        val base = rgba.position()
        val chromaWidth = width / 2
        val y = ByteArray(width * height)
        val u = ByteArray(chromaWidth * (height / 2))
        val v = ByteArray(u.size)
        for (row in 0 until height step 2) {
            for (column in 0 until width step 2) {
                var r = 0
                var g = 0
                var b = 0
                for (dy in 0..1) for (dx in 0..1) {
                    val at = base + (row + dy) * rowStride + (column + dx) * 4
                    val pr = rgba.get(at).toInt() and 0xff
                    val pg = rgba.get(at + 1).toInt() and 0xff
                    val pb = rgba.get(at + 2).toInt() and 0xff
                    y[(row + dy) * width + column + dx] = luma(pr, pg, pb).toByte()
                    r += pr
                    g += pg
                    b += pb
                }
                val c = (row / 2) * chromaWidth + column / 2
                u[c] = cb((r + 2) / 4, (g + 2) / 4, (b + 2) / 4).toByte()
                v[c] = cr((r + 2) / 4, (g + 2) / 4, (b + 2) / 4).toByte()
            }
        }
        return VideoFrame(
            width = width.toUInt(),
            height = height.toUInt(),
            timestampUs = timestampUs.coerceAtLeast(0).toULong(),
            rotationDegrees = 0u,
            y = y,
            u = u,
            v = v,
            strideY = width.toUInt(),
            strideU = chromaWidth.toUInt(),
            strideV = chromaWidth.toUInt(),
        )
    }

    // BT.601 limited range in 8.8 fixed point (libyuv's ARGBToI420 coefficients).
    fun luma(r: Int, g: Int, b: Int) = (66 * r + 129 * g + 25 * b + 128 shr 8) + 16

    fun cb(r: Int, g: Int, b: Int) = (-38 * r - 74 * g + 112 * b + 128 shr 8) + 128

    fun cr(r: Int, g: Int, b: Int) = (112 * r - 94 * g - 18 * b + 128 shr 8) + 128
}
