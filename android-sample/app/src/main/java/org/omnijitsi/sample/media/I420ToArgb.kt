package org.omnijitsi.sample.media

import org.omnijitsi.meet.VideoFrame

/** An upright picture as `Bitmap.createBitmap(pixels, width, height, ARGB_8888)` takes it. */
class ArgbPicture(val width: Int, val height: Int, val pixels: IntArray) {
    fun pixel(x: Int, y: Int): Int = pixels[y * width + x]
}

/**
 * Decoded remote pictures to ARGB for display. The SDK's H.264 decoder gives BT.601
 * limited-range YUV (Y 16..235, chroma 16..240), so black is Y=16 and white Y=235; full-range
 * maths would show grey blacks and clipped whites. The picture is also turned by the frame's
 * rotation, which the sender sets instead of rotating its pixels.
 */
object I420ToArgb {
    fun convert(frame: VideoFrame): ArgbPicture {
        val width = frame.width.toInt()
        val height = frame.height.toInt()
        if (width <= 0 || height <= 0 || width > MAX_SIDE || height > MAX_SIDE) {
            throw FrameFormatException.BadSize(width, height, "sides must be 1..$MAX_SIDE")
        }
        val rotation = checkedRotation(frame.rotationDegrees.toInt())
        val chromaWidth = (width + 1) / 2
        val chromaHeight = (height + 1) / 2
        val strideY = frame.strideY.toInt()
        val strideU = frame.strideU.toInt()
        val strideV = frame.strideV.toInt()
        checkPlane("y", frame.y.size, strideY, width, height)
        checkPlane("u", frame.u.size, strideU, chromaWidth, chromaHeight)
        checkPlane("v", frame.v.size, strideV, chromaWidth, chromaHeight)

        val turned = rotation == 90 || rotation == 270
        val outWidth = if (turned) height else width
        val outHeight = if (turned) width else height
        val pixels = IntArray(width * height)
        for (row in 0 until height) {
            for (column in 0 until width) {
                val luma = frame.y[row * strideY + column].toInt() and 0xff
                val u = frame.u[(row / 2) * strideU + column / 2].toInt() and 0xff
                val v = frame.v[(row / 2) * strideV + column / 2].toInt() and 0xff
                val (x, y) = when (rotation) {
                    90 -> (height - 1 - row) to column
                    180 -> (width - 1 - column) to (height - 1 - row)
                    270 -> row to (width - 1 - column)
                    else -> column to row
                }
                pixels[y * outWidth + x] = argb(luma, u, v)
            }
        }
        return ArgbPicture(outWidth, outHeight, pixels)
    }

    /** BT.601 limited range in 8.8 fixed point, the coefficients libyuv and Android use. */
    fun argb(luma: Int, u: Int, v: Int): Int {
        val c = 298 * (luma - 16)
        val d = u - 128
        val e = v - 128
        val r = clamp((c + 409 * e + 128) shr 8)
        val g = clamp((c - 100 * d - 208 * e + 128) shr 8)
        val b = clamp((c + 516 * d + 128) shr 8)
        return (0xff shl 24) or (r shl 16) or (g shl 8) or b
    }

    private fun clamp(x: Int) = x.coerceIn(0, 255)

    private fun checkPlane(name: String, bytes: Int, stride: Int, columns: Int, rows: Int) {
        if (stride < columns) throw FrameFormatException.BadStride(name, stride, 1)
        val needed = stride.toLong() * (rows - 1) + columns
        if (bytes < needed) throw FrameFormatException.PlaneTooSmall(name, bytes, needed.toInt())
    }

    /** The SDK's own limit; it also bounds the pixel array a hostile frame could ask for. */
    private const val MAX_SIDE = 3840
}
