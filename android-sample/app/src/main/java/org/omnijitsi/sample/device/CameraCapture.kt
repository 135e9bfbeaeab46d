package org.omnijitsi.sample.device

import android.annotation.SuppressLint
import android.content.Context
import android.graphics.ImageFormat
import android.hardware.camera2.CameraCaptureSession
import android.hardware.camera2.CameraCharacteristics
import android.hardware.camera2.CameraDevice
import android.hardware.camera2.CameraManager
import android.media.ImageReader
import android.os.Handler
import android.os.HandlerThread
import android.util.Log
import android.util.Size
import android.view.Surface
import org.omnijitsi.meet.VideoFrame
import org.omnijitsi.sample.media.FrameFormatException
import org.omnijitsi.sample.media.YuvPlane
import org.omnijitsi.sample.media.YuvPlanePacker
import org.omnijitsi.sample.media.cameraFrameRotation

/**
 * The front camera through Camera2 (API 21, no AndroidX) into an ImageReader in YUV_420_888;
 * each picture is packed to I420 on the camera's thread and handed to [onFrame], which must not
 * block ([org.omnijitsi.sample.media.LatestFrameSender.offer]).
 *
 * [displayRotation] is read per frame so that turning the phone turns the sent picture.
 */
class CameraCapture(
    context: Context,
    private val displayRotation: () -> Int,
    private val onFrame: (VideoFrame) -> Unit,
) {
    private val manager = context.getSystemService(Context.CAMERA_SERVICE) as CameraManager
    private var thread: HandlerThread? = null
    private var device: CameraDevice? = null
    private var session: CameraCaptureSession? = null
    private var reader: ImageReader? = null

    /** Needs the CAMERA permission (the permission flow asked for it). */
    @SuppressLint("MissingPermission")
    fun start() {
        if (thread != null) return
        val id = pickCamera() ?: run {
            Log.w(TAG, "no camera")
            return
        }
        val characteristics = manager.getCameraCharacteristics(id)
        val sensor = characteristics.get(CameraCharacteristics.SENSOR_ORIENTATION) ?: 0
        val front = characteristics.get(CameraCharacteristics.LENS_FACING) == CameraCharacteristics.LENS_FACING_FRONT
        val size = pickSize(characteristics)
        val handlerThread = HandlerThread("camera").also { it.start() }
        val handler = Handler(handlerThread.looper)
        thread = handlerThread
        val imageReader = ImageReader.newInstance(size.width, size.height, ImageFormat.YUV_420_888, 3)
        reader = imageReader
        imageReader.setOnImageAvailableListener({ r ->
            val image = r.acquireLatestImage() ?: return@setOnImageAvailableListener
            try {
                val planes = image.planes
                val frame = YuvPlanePacker.pack(
                    width = image.width,
                    height = image.height,
                    y = YuvPlane(planes[0].buffer, planes[0].rowStride, planes[0].pixelStride),
                    u = YuvPlane(planes[1].buffer, planes[1].rowStride, planes[1].pixelStride),
                    v = YuvPlane(planes[2].buffer, planes[2].rowStride, planes[2].pixelStride),
                    rotationDegrees = cameraFrameRotation(sensor, displayRotation(), front),
                    timestampUs = image.timestamp / 1_000,
                )
                onFrame(frame)
            } catch (e: FrameFormatException) {
                Log.w(TAG, "camera picture dropped: ${e.message}")
            } finally {
                image.close()
            }
        }, handler)
        manager.openCamera(id, object : CameraDevice.StateCallback() {
            override fun onOpened(camera: CameraDevice) {
                device = camera
                startSession(camera, imageReader.surface, handler)
            }

            override fun onDisconnected(camera: CameraDevice) = camera.close()

            override fun onError(camera: CameraDevice, error: Int) {
                Log.w(TAG, "camera error $error")
                camera.close()
            }
        }, handler)
    }

    fun stop() {
        session?.close()
        device?.close()
        reader?.close()
        thread?.quitSafely()
        session = null
        device = null
        reader = null
        thread = null
    }

    // createCaptureSession(List, ...) is deprecated from API 30 but is the only form on API 21.
    @Suppress("DEPRECATION")
    private fun startSession(camera: CameraDevice, surface: Surface, handler: Handler) {
        camera.createCaptureSession(listOf(surface), object : CameraCaptureSession.StateCallback() {
            override fun onConfigured(s: CameraCaptureSession) {
                session = s
                val request = camera.createCaptureRequest(CameraDevice.TEMPLATE_RECORD).apply { addTarget(surface) }
                s.setRepeatingRequest(request.build(), null, handler)
            }

            override fun onConfigureFailed(s: CameraCaptureSession) {
                Log.w(TAG, "camera session could not be configured")
            }
        }, handler)
    }

    private fun pickCamera(): String? {
        val ids = manager.cameraIdList
        return ids.firstOrNull {
            manager.getCameraCharacteristics(it).get(CameraCharacteristics.LENS_FACING) ==
                CameraCharacteristics.LENS_FACING_FRONT
        } ?: ids.firstOrNull()
    }

    /** 640x480 or the closest even size: what a call needs, and cheap to encode in software. */
    private fun pickSize(characteristics: CameraCharacteristics): Size {
        val map = characteristics.get(CameraCharacteristics.SCALER_STREAM_CONFIGURATION_MAP)
        val sizes = map?.getOutputSizes(ImageFormat.YUV_420_888).orEmpty()
            .filter { it.width % 2 == 0 && it.height % 2 == 0 }
        return sizes.minByOrNull { kotlin.math.abs(it.width * it.height - 640 * 480) } ?: Size(640, 480)
    }

    private companion object {
        const val TAG = "OmniJitsiSample"
    }
}
