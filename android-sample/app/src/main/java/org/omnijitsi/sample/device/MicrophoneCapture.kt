package org.omnijitsi.sample.device

import android.annotation.SuppressLint
import android.media.AudioFormat
import android.media.AudioRecord
import android.media.MediaRecorder
import android.util.Log
import org.omnijitsi.meet.AudioFrame
import org.omnijitsi.sample.media.AudioChunker
import org.omnijitsi.sample.media.SAMPLE_RATE

/**
 * The microphone as VOICE_COMMUNICATION, which gives the platform's echo canceller, noise
 * suppressor and gain control where the device has them (the SDK does none of that), at 48 kHz
 * mono, cut into 10 ms frames for [onFrame] on a reading thread of its own.
 */
class MicrophoneCapture(private val onFrame: (AudioFrame) -> Unit) {
    @Volatile
    private var running = false
    private var thread: Thread? = null

    /** Needs the RECORD_AUDIO permission. */
    @SuppressLint("MissingPermission")
    fun start() {
        if (thread != null) return
        val minimum = AudioRecord.getMinBufferSize(SAMPLE_RATE, AudioFormat.CHANNEL_IN_MONO, AudioFormat.ENCODING_PCM_16BIT)
        if (minimum <= 0) {
            Log.w(TAG, "48 kHz mono capture is not supported here")
            return
        }
        val record = AudioRecord(
            MediaRecorder.AudioSource.VOICE_COMMUNICATION,
            SAMPLE_RATE,
            AudioFormat.CHANNEL_IN_MONO,
            AudioFormat.ENCODING_PCM_16BIT,
            maxOf(minimum, SAMPLE_RATE / 10 * 2),
        )
        if (record.state != AudioRecord.STATE_INITIALIZED) {
            record.release()
            Log.w(TAG, "the microphone could not be opened")
            return
        }
        running = true
        thread = Thread({
            val chunker = AudioChunker(frameMs = 10)
            val buffer = ShortArray(SAMPLE_RATE / 100 * 2)
            record.startRecording()
            try {
                while (running) {
                    val read = record.read(buffer, 0, buffer.size)
                    if (read < 0) {
                        Log.w(TAG, "microphone read failed: $read")
                        break
                    }
                    chunker.push(buffer, read).forEach(onFrame)
                }
            } finally {
                record.stop()
                record.release()
            }
        }, "microphone").also {
            it.priority = Thread.MAX_PRIORITY
            it.start()
        }
    }

    /** Returns once the device is released, so a restart can open it again. */
    fun stop() {
        running = false
        thread?.join()
        thread = null
    }

    private companion object {
        const val TAG = "OmniJitsiSample"
    }
}
