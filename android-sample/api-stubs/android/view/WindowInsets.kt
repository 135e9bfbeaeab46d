package android.view

import android.graphics.Insets

/** Replaces API 23's WindowInsets for insets by type. */
class WindowInsets {
    /** API 30. */
    fun getInsets(typeMask: Int): Insets = throw UnsupportedOperationException()

    /** API 30. */
    object Type {
        @JvmStatic
        fun systemBars(): Int = throw UnsupportedOperationException()

        @JvmStatic
        fun ime(): Int = throw UnsupportedOperationException()
    }
}
