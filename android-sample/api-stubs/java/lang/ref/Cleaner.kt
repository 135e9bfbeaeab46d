package java.lang.ref

/**
 * Android API 33 (Java 9). The generated bindings use it where `Class.forName` finds it, JNA's
 * cleaner otherwise.
 */
class Cleaner {
    interface Cleanable {
        fun clean()
    }

    fun register(obj: Any, action: Runnable): Cleanable = throw UnsupportedOperationException()

    companion object {
        @JvmStatic
        fun create(): Cleaner = throw UnsupportedOperationException()
    }
}
