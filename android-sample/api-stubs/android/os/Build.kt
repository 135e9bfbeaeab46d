package android.os

/** Replaces API 23's Build for its newer version codes. */
object Build {
    object VERSION {
        @JvmField
        val SDK_INT: Int = 0
    }

    object VERSION_CODES {
        const val M = 23
        const val O = 26
        const val Q = 29
        const val R = 30
        const val TIRAMISU = 33
        const val VANILLA_ICE_CREAM = 35
    }
}
