package org.omnijitsi.sample.device

import android.app.Activity
import android.content.Context
import android.media.AudioManager
import android.os.Build
import android.util.Log
import android.widget.GridLayout
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import org.omnijitsi.meet.AudioFrame
import org.omnijitsi.meet.Meeting
import org.omnijitsi.meet.MeetingException
import org.omnijitsi.meet.VideoFrame
import org.omnijitsi.meet.VideoSubscription
import org.omnijitsi.sample.media.LatestFrameSender
import org.omnijitsi.sample.session.MeetingState
import org.omnijitsi.sample.session.Phase

/**
 * The screen's media: opens and closes the camera and microphone as [MeetingState] says
 * (joined, permitted, not muted), plays and shows everyone else while joined. All decisions are
 * in MeetingState and RemoteSources (plain Kotlin, tested on the JVM); this only obeys them.
 */
class MediaGlue(private val activity: Activity, private val scope: CoroutineScope, grid: GridLayout) {
    private val audioManager = activity.getSystemService(Context.AUDIO_SERVICE) as AudioManager
    private val videoGrid = VideoGrid(grid)

    @Volatile
    private var state = MeetingState()
    private var meeting: Meeting? = null
    private var player: RemoteAudioPlayer? = null
    private var subscription: VideoSubscription? = null
    private var videoSender: LatestFrameSender<VideoFrame>? = null
    private var audioSending: Job? = null

    // Ten 10 ms frames: enough for a slow moment, short enough that audio is never late.
    private val audioFrames = Channel<AudioFrame>(10, BufferOverflow.DROP_OLDEST)
    private val camera = CameraCapture(activity, ::displayRotation) { videoSender?.offer(it) }
    private val microphone = MicrophoneCapture { audioFrames.trySend(it) }

    /** On the main thread, after every state change. */
    fun follow(next: MeetingState, current: Meeting?) {
        state = next
        if (next.phase == Phase.JOINED && current != null && meeting == null) begin(current)
        if (next.phase != Phase.JOINED && meeting != null) end()
        if (meeting == null) return
        if (next.cameraOn) camera.start() else camera.stop()
        if (next.microphoneOn) microphone.start() else microphone.stop()
        videoGrid.show(next.remote.video, next.remote.columns, next.remote.rows, next::label)
    }

    fun close() = end()

    private fun begin(m: Meeting) {
        meeting = m
        audioManager.mode = AudioManager.MODE_IN_COMMUNICATION
        videoSender = LatestFrameSender(scope) { frame -> send { m.pushVideo(frame) } }
        audioSending = scope.launch {
            for (frame in audioFrames) send { m.pushAudio(frame) }
        }
        player = RemoteAudioPlayer(m) { state.remote.audioSourceNames }.also { it.start() }
        subscription = m.subscribeRemoteVideo(videoGrid)
    }

    private fun end() {
        camera.stop()
        microphone.stop()
        player?.stop()
        subscription?.cancel()
        videoSender?.close()
        audioSending?.cancel()
        player = null
        subscription = null
        videoSender = null
        audioSending = null
        meeting = null
        audioManager.mode = AudioManager.MODE_NORMAL
    }

    private suspend fun send(push: suspend () -> Unit) {
        try {
            push()
        } catch (e: MeetingException) {
            Log.w("OmniJitsiSample", "frame not sent: ${e.message}")
        }
    }

    @Suppress("DEPRECATION")
    private fun displayRotation(): Int {
        val rotation = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            activity.display?.rotation
        } else {
            activity.windowManager.defaultDisplay.rotation
        }
        return (rotation ?: 0) * 90
    }
}
