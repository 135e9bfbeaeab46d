package org.omnijitsi.sample.media

// Everything under media/ is plain Kotlin with no Android classes, like session/: `cargo xtask
// test` compiles it against the generated bindings and runs its tests on the JVM.

/** A picture or audio buffer the glue refuses: the frame is dropped, capture goes on. */
sealed class FrameFormatException(message: String) : IllegalArgumentException(message) {
    class BadSize(val width: Int, val height: Int, why: String) :
        FrameFormatException("${width}x$height: $why")

    class BadStride(val plane: String, val rowStride: Int, val pixelStride: Int) :
        FrameFormatException("plane $plane: row stride $rowStride, pixel stride $pixelStride cannot hold its row")

    class PlaneTooSmall(val plane: String, val bytes: Int, val needed: Int) :
        FrameFormatException("plane $plane has $bytes bytes, needs $needed")

    class BadRotation(val degrees: Int) :
        FrameFormatException("rotation $degrees is not 0, 90, 180 or 270")

    class BadFrameDuration(val ms: Int) :
        FrameFormatException("$ms ms frames: the SDK takes 10 or 20 ms")

    class BadCount(val count: Int, val capacity: Int) :
        FrameFormatException("$count samples out of a buffer of $capacity")
}
