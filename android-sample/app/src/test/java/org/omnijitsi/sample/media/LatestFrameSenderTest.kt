package org.omnijitsi.sample.media

import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Test
import kotlin.test.assertEquals

class LatestFrameSenderTest {
    @Test
    fun `pictures arriving during a slow send are skipped except the newest`() = runBlocking {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        val started = Channel<Int>(Channel.UNLIMITED)
        val sent = Channel<Int>(Channel.UNLIMITED)
        val release = CompletableDeferred<Unit>()
        val sender = LatestFrameSender<Int>(scope) { frame ->
            started.send(frame)
            if (frame == 1) release.await()
            sent.send(frame)
        }
        try {
            withTimeout(5_000) {
                sender.offer(1)
                assertEquals(1, started.receive())
                for (frame in 2..5) sender.offer(frame)
                release.complete(Unit)
                assertEquals(listOf(1, 5), listOf(sent.receive(), sent.receive()))
                sender.offer(6)
                assertEquals(6, sent.receive())
            }
        } finally {
            sender.close()
            scope.cancel()
        }
    }
}
