package org.omnijitsi.sample.permissions

/** Foreground service types (`android:foregroundServiceType`, `ServiceInfo.FOREGROUND_SERVICE_TYPE_*`). */
enum class ForegroundType { MEDIA_PROJECTION, MICROPHONE }

/**
 * The types the screen-share service passes to `startForeground`, which takes types from
 * Android 10 (API 29); each must also be in the service's manifest `foregroundServiceType`.
 * The microphone is recorded by the activity (device/MicrophoneCapture), not by the service, but
 * Android grants microphone access in the background to the whole process: once the user
 * switches to the app being shared, only a foreground service of type microphone keeps the
 * recording from going silent.
 */
object ScreenShareForeground {
    /**
     * Android 11: while-in-use restrictions; the microphone in the background needs a
     * foreground service of type microphone, started while the app was in the foreground.
     */
    const val MICROPHONE_TYPE_SDK = 30

    /**
     * For [sdkInt] 29 and up. MediaProjection always needs mediaProjection. The microphone type
     * only with RECORD_AUDIO granted: Android 14 throws a SecurityException otherwise (and
     * before it the type would only grant what the permission refused).
     */
    fun types(sdkInt: Int, recordAudioGranted: Boolean): Set<ForegroundType> =
        if (sdkInt >= MICROPHONE_TYPE_SDK && recordAudioGranted) {
            setOf(ForegroundType.MEDIA_PROJECTION, ForegroundType.MICROPHONE)
        } else {
            setOf(ForegroundType.MEDIA_PROJECTION)
        }
}
