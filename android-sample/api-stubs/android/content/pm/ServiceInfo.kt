package android.content.pm

/** Replaces API 23's ServiceInfo for the foreground service types. */
class ServiceInfo {
    companion object {
        /** API 29. */
        const val FOREGROUND_SERVICE_TYPE_MEDIA_PROJECTION = 32

        /** API 30. */
        const val FOREGROUND_SERVICE_TYPE_MICROPHONE = 128
    }
}
