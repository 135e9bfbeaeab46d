package org.omnijitsi.sample.device

import android.app.Notification
import android.app.Service
import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.view.Display

/** API 26. */
fun Context.startForegroundService(service: Intent): ComponentName? = throw UnsupportedOperationException()

/** API 29. */
fun Service.startForeground(id: Int, notification: Notification, foregroundServiceType: Int): Unit =
    throw UnsupportedOperationException()

/** API 33. */
fun <T> Intent.getParcelableExtra(name: String, clazz: Class<T>): T? = throw UnsupportedOperationException()

/** API 30 (`Context.getDisplay`). */
val Context.display: Display? get() = throw UnsupportedOperationException()
