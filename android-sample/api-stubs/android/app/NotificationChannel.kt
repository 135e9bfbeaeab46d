package android.app

/** API 26. */
class NotificationChannel(id: String, name: CharSequence, importance: Int)
