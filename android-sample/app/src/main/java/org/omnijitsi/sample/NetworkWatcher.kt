package org.omnijitsi.sample

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import android.net.NetworkRequest
import android.os.Build

/**
 * Calls [onChange] when the network the phone uses changes (Wi-Fi to LTE and back, or lost), not
 * for the one it has at start: the meeting then probes its connection and restarts ICE
 * with the bridge at once, on the new network, instead of waiting for timeouts (`Meeting.networkChanged`).
 * The callbacks run on ConnectivityManager's thread.
 */
class NetworkWatcher(context: Context, private val onChange: () -> Unit) {
    private val connectivity = context.getSystemService(Context.CONNECTIVITY_SERVICE) as ConnectivityManager
    private var first = true
    private var current: Network? = null

    private val callback = object : ConnectivityManager.NetworkCallback() {
        override fun onAvailable(network: Network) {
            val changed = !first && network != current
            first = false
            current = network
            if (changed) onChange()
        }

        override fun onLost(network: Network) {
            if (network == current) onChange()
        }
    }

    fun start() {
        if (Build.VERSION.SDK_INT >= 24) {
            connectivity.registerDefaultNetworkCallback(callback)
        } else {
            val internet = NetworkRequest.Builder()
                .addCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
                .build()
            connectivity.registerNetworkCallback(internet, callback)
        }
    }

    fun stop() = connectivity.unregisterNetworkCallback(callback)
}
