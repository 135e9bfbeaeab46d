package android.app

/** Replaces API 23's NotificationManager for its channels. */
class NotificationManager {
    /** API 26. */
    fun createNotificationChannel(channel: NotificationChannel): Unit = throw UnsupportedOperationException()

    companion object {
        /** API 24. */
        const val IMPORTANCE_LOW = 2
    }
}
