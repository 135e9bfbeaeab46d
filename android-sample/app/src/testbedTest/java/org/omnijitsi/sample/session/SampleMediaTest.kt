package org.omnijitsi.sample.session

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Test
import org.omnijitsi.meet.RemoteVideoSink
import org.omnijitsi.meet.VideoFrame
import org.omnijitsi.sample.media.AudioChunker
import org.omnijitsi.sample.media.I420ToArgb
import org.omnijitsi.sample.media.RemoteAudioMixer
import org.omnijitsi.sample.media.SAMPLE_RATE
import org.omnijitsi.sample.media.YuvPlane
import org.omnijitsi.sample.media.YuvPlanePacker
import org.omnijitsi.sample.permissions.Access
import org.omnijitsi.sample.permissions.Grant
import org.omnijitsi.sample.permissions.JoinPlan
import java.nio.ByteBuffer
import kotlin.math.PI
import kotlin.math.cos
import kotlin.math.roundToInt
import kotlin.math.sin
import kotlin.math.sqrt
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/**
 * The sample's media glue between two screens through the real SDK, Prosody and the testbed:
 * what one app's microphone and camera glue produce is what the other's speaker and grid glue
 * get. Only the devices are simulated: a tone read in uneven bursts, and camera planes laid out
 * as most phones deliver YUV_420_888 (padded rows, interleaved chroma).
 */
class SampleMediaTest {
    private val server: String = System.getenv("OMNI_JITSI_SERVER_URL")
        ?: error("OMNI_JITSI_SERVER_URL is not set: run through `cargo xtask test`")
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    @After
    fun stop() = scope.cancel()

    private val everythingGranted = JoinPlan(Access.entries.associateWith { Grant.GRANTED })

    private fun options(name: String) = JoinForm(server, "sample-media", name, "", "").toOptions(everythingGranted)

    private suspend fun MeetingController.until(what: (MeetingState) -> Boolean): MeetingState = state.first(what)

    @Test
    fun bobHearsAnnsMicrophoneToneAndSeesHerCamerasColour() = runBlocking<Unit> {
        withTimeout(30_000) {
            val ann = MeetingController(scope)
            val bob = MeetingController(scope)
            ann.join(options("Ann"))
            ann.until { it.phase == Phase.JOINED }
            bob.join(options("Bob"))
            bob.until { it.phase == Phase.JOINED }
            val annMeeting = ann.meeting ?: error("Ann has no meeting")
            val bobMeeting = bob.meeting ?: error("Bob has no meeting")
            val annId = annMeeting.endpointId()

            val pictures = Channel<Pair<String, Int>>(Channel.CONFLATED)
            val subscription = bobMeeting.subscribeRemoteVideo(object : RemoteVideoSink {
                override fun onFrame(sourceName: String, frame: VideoFrame) {
                    val picture = I420ToArgb.convert(frame)
                    pictures.trySend(sourceName to picture.pixel(picture.width / 2, picture.height / 2))
                }
            })
            val heard = ArrayList<ShortArray>()
            val microphone = Microphone(440.0)
            val camera = redCamera(320, 240)
            val mixer = RemoteAudioMixer { source, samples -> bobMeeting.pullRemoteAudio(source, samples.toUInt()) }
            var seen: Pair<String, Int>? = null
            // 20 ms ticks play both devices' clocks: a microphone read, a camera picture, a speaker buffer.
            while (!(heard.audibleTail(25) && seen != null)) {
                delay(20)
                microphone.read().forEach { annMeeting.pushAudio(it) }
                annMeeting.pushVideo(camera(microphone.timestampUs))
                heard.add(mixer.next(bob.state.value.remote.audioSourceNames, 960))
                seen = seen ?: pictures.tryReceive().getOrNull()
            }
            subscription.cancel()

            val remote = bob.state.value.remote
            assertEquals(listOf("$annId-a0"), remote.audioSourceNames)
            assertEquals(listOf("$annId-v0"), remote.video.map { it.sourceName })
            assertEquals("Ann", bob.state.value.label(remote.video.single()))
            assertEquals(440.0, dominantFrequency(heard.takeLast(25)), 5.0)
            val (source, pixel) = seen
            assertEquals("$annId-v0", source)
            val (r, g, b) = Triple((pixel shr 16) and 0xff, (pixel shr 8) and 0xff, pixel and 0xff)
            assertTrue(r > 230 && g < 25 && b < 25, "Ann's red camera shows as ($r, $g, $b)")

            ann.setAudioMuted(true)
            ann.setVideoMuted(true)
            val muted = ann.until { it.audioMuted && it.videoMuted }
            assertFalse(muted.microphoneOn || muted.cameraOn)

            ann.hangUp()
            assertEquals(emptyList(), bob.until { it.remote.video.isEmpty() }.remote.audio)
            bob.hangUp()
            bob.until { it.phase == Phase.ENDED }
        }
    }

    /** A 440 Hz tone read the way AudioRecord returns it: uneven bursts, chunked by the glue. */
    private class Microphone(private val hz: Double) {
        private val chunker = AudioChunker(frameMs = 10)
        private var n = 0L
        private var burst = 0

        val timestampUs get() = n * 1_000_000 / SAMPLE_RATE

        fun read(): List<org.omnijitsi.meet.AudioFrame> {
            // 20 ms on average, never in whole frames.
            val count = if (burst++ % 2 == 0) 700 else 1_220
            val samples = ShortArray(count) { (8_000 * sin(2 * PI * hz * (n + it) / SAMPLE_RATE)).roundToInt().toShort() }
            n += count
            return chunker.push(samples)
        }
    }

    /**
     * A camera filming something red (BT.601 Y 81, Cb 90, Cr 240), its planes laid out as most
     * phones deliver YUV_420_888: rows padded to 64 bytes, Cb and Cr interleaved in one buffer.
     */
    private fun redCamera(width: Int, height: Int): (Long) -> VideoFrame {
        val rowStride = (width + 63) / 64 * 64
        val y = ByteArray(rowStride * height) { 81.toByte() }
        val uv = ByteArray(rowStride * (height / 2 - 1) + width) { i -> if (i % 2 == 0) 90.toByte() else 240.toByte() }
        return { timestampUs ->
            YuvPlanePacker.pack(
                width, height,
                YuvPlane(ByteBuffer.wrap(y), rowStride, 1),
                YuvPlane(ByteBuffer.wrap(uv, 0, uv.size - 1).slice(), rowStride, 2),
                YuvPlane(ByteBuffer.wrap(uv, 1, uv.size - 1).slice(), rowStride, 2),
                rotationDegrees = 0,
                timestampUs = timestampUs,
            )
        }
    }

    private fun List<ShortArray>.audibleTail(n: Int) = size >= n && takeLast(n).all { rms(it) > 500.0 }

    private fun rms(s: ShortArray) = sqrt(s.sumOf { it.toDouble() * it } / s.size.coerceAtLeast(1))

    /** The strongest frequency between 50 Hz and 4 kHz: a 10 Hz Goertzel scan, then 0.5 Hz around the peak. */
    private fun dominantFrequency(frames: List<ShortArray>): Double {
        val s = frames.fold(ShortArray(0)) { a, b -> a + b }
        val w = DoubleArray(s.size) { s[it] * (0.5 - 0.5 * cos(2 * PI * it / (s.size - 1))) }
        fun power(hz: Double): Double {
            val k = 2 * cos(2 * PI * hz / SAMPLE_RATE)
            var (a, b) = 0.0 to 0.0
            for (x in w) {
                val c = x + k * a - b
                b = a
                a = c
            }
            return a * a + b * b - k * a * b
        }
        fun peak(from: Double, to: Double, step: Double) =
            generateSequence(from) { it + step }.takeWhile { it <= to }.maxBy { power(it) }
        val coarse = peak(50.0, 4_000.0, 10.0)
        return peak(coarse - 10.0, coarse + 10.0, 0.5)
    }
}
