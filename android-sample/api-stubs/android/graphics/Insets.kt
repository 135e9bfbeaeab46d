package android.graphics

/** API 29. */
class Insets {
    @JvmField val left: Int = 0

    @JvmField val top: Int = 0

    @JvmField val right: Int = 0

    @JvmField val bottom: Int = 0
}
