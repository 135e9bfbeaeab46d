package org.omnijitsi.sample.media

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch

/**
 * Hands camera or screen pictures to a suspending send one at a time, keeping only the newest
 * while a send is in progress. Encoding can fall behind the camera for a moment; queueing
 * would then add latency that never drains, so the pictures in between are skipped instead.
 */
class LatestFrameSender<T : Any>(scope: CoroutineScope, send: suspend (T) -> Unit) {
    private val latest = Channel<T>(Channel.CONFLATED)
    private val job = scope.launch {
        for (frame in latest) send(frame)
    }

    /** Never blocks: callable from the camera's own thread. */
    fun offer(frame: T) {
        latest.trySend(frame)
    }

    fun close() {
        latest.close()
        job.cancel()
    }
}
