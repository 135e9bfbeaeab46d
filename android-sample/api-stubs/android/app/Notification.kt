package android.app

import android.content.Context

/** Replaces API 23's Notification for the builder's channel constructor. */
class Notification {
    class Builder {
        constructor(context: Context)

        /** API 26. */
        constructor(context: Context, channelId: String)

        fun setContentTitle(title: CharSequence): Builder = throw UnsupportedOperationException()

        fun setSmallIcon(icon: Int): Builder = throw UnsupportedOperationException()

        fun setOngoing(ongoing: Boolean): Builder = throw UnsupportedOperationException()

        fun build(): Notification = throw UnsupportedOperationException()
    }
}
