package org.omnijitsi.sample.permissions

/** What a meeting asks the user for. Each maps to different Android permissions by version. */
enum class Access { CAMERA, MICROPHONE, MEDIA_LIBRARY, NOTIFICATIONS }

/**
 * The runtime permissions behind each [Access] on a given Android version (`Build.VERSION.SDK_INT`).
 * Plain strings, so this module needs no Android classes; they must match the manifest's
 * `<uses-permission>` lines, `maxSdkVersion` included.
 */
object AndroidPermissions {
    const val CAMERA = "android.permission.CAMERA"
    const val RECORD_AUDIO = "android.permission.RECORD_AUDIO"
    const val WRITE_EXTERNAL_STORAGE = "android.permission.WRITE_EXTERNAL_STORAGE"
    const val READ_EXTERNAL_STORAGE = "android.permission.READ_EXTERNAL_STORAGE"
    const val READ_MEDIA_IMAGES = "android.permission.READ_MEDIA_IMAGES"
    const val READ_MEDIA_VIDEO = "android.permission.READ_MEDIA_VIDEO"
    const val READ_MEDIA_VISUAL_USER_SELECTED = "android.permission.READ_MEDIA_VISUAL_USER_SELECTED"
    const val POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"

    /** Android 6: below it, every permission is granted at install time. */
    const val RUNTIME_PERMISSIONS_SDK = 23

    /** Android 10: scoped storage, writing to MediaStore no longer needs a permission. */
    const val SCOPED_STORAGE_SDK = 29

    /** Android 13: READ_EXTERNAL_STORAGE is split into READ_MEDIA_IMAGES/VIDEO/AUDIO. */
    const val MEDIA_PERMISSIONS_SDK = 33

    /**
     * Android 13: notifications, the screen share's included, need POST_NOTIFICATIONS; an app
     * targeting 33+ has them off until it asks.
     */
    const val NOTIFICATIONS_SDK = 33

    /** Android 14: the user may grant access to selected photos and videos only. */
    const val SELECTED_MEDIA_SDK = 34

    fun forAccess(access: Access, sdkInt: Int): List<String> {
        if (sdkInt < RUNTIME_PERMISSIONS_SDK) return emptyList()
        return when (access) {
            Access.CAMERA -> listOf(CAMERA)
            Access.MICROPHONE -> listOf(RECORD_AUDIO)
            Access.MEDIA_LIBRARY -> when {
                // WRITE implies READ; the manifest caps it with maxSdkVersion="28".
                sdkInt < SCOPED_STORAGE_SDK -> listOf(WRITE_EXTERNAL_STORAGE)
                // The manifest caps it with maxSdkVersion="32": on 33+ it is never granted.
                sdkInt < MEDIA_PERMISSIONS_SDK -> listOf(READ_EXTERNAL_STORAGE)
                sdkInt < SELECTED_MEDIA_SDK -> listOf(READ_MEDIA_IMAGES, READ_MEDIA_VIDEO)
                // Without asking for the partial permission too, Android 14 would treat a
                // "select photos" answer as a full grant that silently expires.
                else -> listOf(READ_MEDIA_IMAGES, READ_MEDIA_VIDEO, READ_MEDIA_VISUAL_USER_SELECTED)
            }
            Access.NOTIFICATIONS -> if (sdkInt < NOTIFICATIONS_SDK) emptyList() else listOf(POST_NOTIFICATIONS)
        }
    }

    /** Permissions that, granted on their own, mean partial access to their [Access]. */
    fun isPartialGrant(permission: String): Boolean = permission == READ_MEDIA_VISUAL_USER_SELECTED
}
