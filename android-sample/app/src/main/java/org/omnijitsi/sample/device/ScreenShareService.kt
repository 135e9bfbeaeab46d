package org.omnijitsi.sample.device

import android.Manifest
import android.app.Activity
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.Service
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.content.pm.ServiceInfo
import android.graphics.PixelFormat
import android.hardware.display.DisplayManager
import android.hardware.display.VirtualDisplay
import android.media.ImageReader
import android.media.projection.MediaProjection
import android.media.projection.MediaProjectionManager
import android.os.Build
import android.os.Handler
import android.os.HandlerThread
import android.os.IBinder
import android.util.Log
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import org.omnijitsi.meet.Meeting
import org.omnijitsi.meet.MeetingException
import org.omnijitsi.meet.VideoFrame
import org.omnijitsi.sample.media.FrameFormatException
import org.omnijitsi.sample.media.LatestFrameSender
import org.omnijitsi.sample.media.RgbaToI420
import org.omnijitsi.sample.permissions.ForegroundType
import org.omnijitsi.sample.permissions.ScreenShareForeground

/**
 * Screen sharing: MediaProjection renders the screen into an ImageReader (RGBA, the format a
 * virtual display always supports), each picture becomes I420 and goes to
 * `meeting.pushScreenFrame`. Android 10+ only lets a foreground service of type
 * mediaProjection hold the projection (declared in the manifest, with
 * FOREGROUND_SERVICE_MEDIA_PROJECTION on Android 14), and Android 14 wants the service in the
 * foreground before `getMediaProjection` and a callback registered before the virtual display.
 * It is of type microphone too where allowed ([ScreenShareForeground]), so the activity's
 * microphone is still heard while the user shows another app.
 *
 * Start it with [start] after the user accepted `createScreenCaptureIntent()`.
 */
class ScreenShareService : Service() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private var projection: MediaProjection? = null
    private var display: VirtualDisplay? = null
    private var reader: ImageReader? = null
    private var thread: HandlerThread? = null
    private var sender: LatestFrameSender<VideoFrame>? = null

    override fun onBind(intent: Intent?): IBinder? = null

    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        val m = meeting
        val resultCode = intent?.getIntExtra(EXTRA_RESULT_CODE, Activity.RESULT_CANCELED) ?: Activity.RESULT_CANCELED
        val consent = intent?.consent()
        if (m == null || consent == null || resultCode != Activity.RESULT_OK) {
            stopSelf()
            return START_NOT_STICKY
        }
        goForeground()
        val manager = getSystemService(Context.MEDIA_PROJECTION_SERVICE) as MediaProjectionManager
        val p = manager.getMediaProjection(resultCode, consent) ?: run {
            stopSelf()
            return START_NOT_STICKY
        }
        projection = p
        p.registerCallback(object : MediaProjection.Callback() {
            // The user stopped sharing from the system UI, or another app took the projection.
            override fun onStop() = stopSelf()
        }, null)
        scope.launch {
            try {
                m.startScreenShare()
            } catch (e: MeetingException) {
                Log.w(TAG, "screen share refused: ${e.message}")
                stopSelf()
                return@launch
            }
            sender = LatestFrameSender(scope) { frame ->
                try {
                    m.pushScreenFrame(frame)
                } catch (e: MeetingException) {
                    Log.w(TAG, "screen picture not sent: ${e.message}")
                }
            }
            startCapture(p)
        }
        return START_NOT_STICKY
    }

    /** Half the screen's resolution: text stays readable and the encoder keeps up. */
    private fun startCapture(p: MediaProjection) {
        val metrics = resources.displayMetrics
        val width = metrics.widthPixels / 2 / 2 * 2
        val height = metrics.heightPixels / 2 / 2 * 2
        val handlerThread = HandlerThread("screen").also { it.start() }
        thread = handlerThread
        val handler = Handler(handlerThread.looper)
        val imageReader = ImageReader.newInstance(width, height, PixelFormat.RGBA_8888, 2)
        reader = imageReader
        imageReader.setOnImageAvailableListener({ r ->
            val image = r.acquireLatestImage() ?: return@setOnImageAvailableListener
            try {
                val plane = image.planes[0]
                sender?.offer(RgbaToI420.convert(image.width, image.height, plane.buffer, plane.rowStride, image.timestamp / 1_000))
            } catch (e: FrameFormatException) {
                Log.w(TAG, "screen picture dropped: ${e.message}")
            } finally {
                image.close()
            }
        }, handler)
        display = p.createVirtualDisplay(
            "omni-jitsi-screen",
            width,
            height,
            metrics.densityDpi,
            DisplayManager.VIRTUAL_DISPLAY_FLAG_AUTO_MIRROR,
            imageReader.surface,
            null,
            handler,
        )
    }

    override fun onDestroy() {
        display?.release()
        reader?.close()
        thread?.quitSafely()
        projection?.stop()
        sender?.close()
        val m = meeting
        // Its own scope: this service's scope is cancelled right below.
        if (m != null) {
            CoroutineScope(Dispatchers.Default).launch {
                try {
                    m.stopScreenShare()
                } catch (_: MeetingException) {
                    // The meeting ended meanwhile, which ended the share too.
                }
            }
        }
        scope.cancel()
        super.onDestroy()
    }

    private fun goForeground() {
        val manager = getSystemService(Context.NOTIFICATION_SERVICE) as NotificationManager
        val builder = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
            manager.createNotificationChannel(NotificationChannel(CHANNEL, "Screen sharing", NotificationManager.IMPORTANCE_LOW))
            Notification.Builder(this, CHANNEL)
        } else {
            @Suppress("DEPRECATION")
            Notification.Builder(this)
        }
        val notification = builder
            .setContentTitle("Sharing your screen")
            .setSmallIcon(android.R.drawable.presence_video_online)
            .setOngoing(true)
            .build()
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            val recordAudio = checkSelfPermission(Manifest.permission.RECORD_AUDIO) == PackageManager.PERMISSION_GRANTED
            val types = ScreenShareForeground.types(Build.VERSION.SDK_INT, recordAudio)
            startForeground(NOTIFICATION_ID, notification, types.fold(0) { flags, type -> flags or type.flag })
        } else {
            startForeground(NOTIFICATION_ID, notification)
        }
    }

    private val ForegroundType.flag: Int
        get() = when (this) {
            ForegroundType.MEDIA_PROJECTION -> ServiceInfo.FOREGROUND_SERVICE_TYPE_MEDIA_PROJECTION
            ForegroundType.MICROPHONE -> ServiceInfo.FOREGROUND_SERVICE_TYPE_MICROPHONE
        }

    @Suppress("DEPRECATION")
    private fun Intent.consent(): Intent? = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
        getParcelableExtra(EXTRA_CONSENT, Intent::class.java)
    } else {
        getParcelableExtra(EXTRA_CONSENT)
    }

    companion object {
        private const val TAG = "OmniJitsiSample"
        private const val CHANNEL = "screen-share"
        private const val NOTIFICATION_ID = 1
        private const val EXTRA_RESULT_CODE = "resultCode"
        private const val EXTRA_CONSENT = "consent"

        /** The meeting to share into; a service cannot be handed an object through its Intent. */
        @Volatile
        private var meeting: Meeting? = null

        /** With the result of the `createScreenCaptureIntent()` activity the user accepted. */
        fun start(context: Context, meeting: Meeting, resultCode: Int, consent: Intent) {
            this.meeting = meeting
            val intent = Intent(context, ScreenShareService::class.java)
                .putExtra(EXTRA_RESULT_CODE, resultCode)
                .putExtra(EXTRA_CONSENT, consent)
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
                context.startForegroundService(intent)
            } else {
                context.startService(intent)
            }
        }

        fun stop(context: Context) {
            context.stopService(Intent(context, ScreenShareService::class.java))
        }
    }
}
