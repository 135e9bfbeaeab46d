package org.omnijitsi.sample

import android.net.ConnectivityManager

/** API 24. */
fun ConnectivityManager.registerDefaultNetworkCallback(callback: ConnectivityManager.NetworkCallback): Unit =
    throw UnsupportedOperationException()
