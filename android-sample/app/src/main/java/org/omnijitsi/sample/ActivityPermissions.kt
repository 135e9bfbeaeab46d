package org.omnijitsi.sample

import android.annotation.TargetApi
import android.app.Activity
import android.content.pm.PackageManager
import android.os.Build
import kotlinx.coroutines.CompletableDeferred
import org.omnijitsi.sample.permissions.Answer
import org.omnijitsi.sample.permissions.PermissionPlatform
import org.omnijitsi.sample.permissions.answerAfterRequest

/**
 * [PermissionPlatform] on the platform Activity API: the activity forwards
 * onRequestPermissionsResult to [onResult], which completes the pending [request].
 */
class ActivityPermissions(private val activity: Activity) : PermissionPlatform {
    private var pending: CompletableDeferred<Map<String, Answer>>? = null

    override val sdkInt: Int = Build.VERSION.SDK_INT

    override fun isGranted(permission: String): Boolean {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.M) return true
        return activity.checkSelfPermission(permission) == PackageManager.PERMISSION_GRANTED
    }

    override suspend fun request(permissions: List<String>): Map<String, Answer> {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.M) return permissions.associateWith { Answer.GRANTED }
        // A second tap while the dialog is up replaces the first request rather than losing it.
        pending?.cancel()
        val answer = CompletableDeferred<Map<String, Answer>>()
        pending = answer
        activity.requestPermissions(permissions.toTypedArray(), REQUEST_CODE)
        return answer.await()
    }

    /** Only called on Android 6+, where runtime permissions exist. */
    @TargetApi(Build.VERSION_CODES.M)
    fun onResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        if (requestCode != REQUEST_CODE) return
        val answer = pending ?: return
        pending = null
        // Both arrays are empty when the request was interrupted; the flow reads that as denied.
        val count = minOf(permissions.size, grantResults.size)
        answer.complete(
            (0 until count).associate { i ->
                permissions[i] to answerAfterRequest(
                    granted = grantResults[i] == PackageManager.PERMISSION_GRANTED,
                    showRationale = activity.shouldShowRequestPermissionRationale(permissions[i]),
                )
            },
        )
    }

    private companion object {
        const val REQUEST_CODE = 7301
    }
}
