package org.omnijitsi.sample.device

import android.graphics.Bitmap
import android.os.Handler
import android.os.Looper
import android.util.Log
import android.view.Gravity
import android.widget.FrameLayout
import android.widget.GridLayout
import android.widget.ImageView
import android.widget.TextView
import org.omnijitsi.meet.RemoteVideoSink
import org.omnijitsi.meet.VideoFrame
import org.omnijitsi.sample.media.FrameFormatException
import org.omnijitsi.sample.media.I420ToArgb
import org.omnijitsi.sample.media.RemoteSource

/**
 * Remote video as a grid of tiles, one per source. The SDK delivers decoded pictures on its
 * video thread; they are converted to a Bitmap there and only the finished Bitmap goes to the
 * main thread.
 */
class VideoGrid(private val grid: GridLayout) : RemoteVideoSink {
    private val main = Handler(Looper.getMainLooper())
    private val tiles = LinkedHashMap<String, ImageView>()
    private var shown: List<Pair<String, String>> = emptyList()

    /** On the main thread, after each state change: the tiles follow the track events. */
    fun show(sources: List<RemoteSource>, columns: Int, rows: Int, label: (RemoteSource) -> String) {
        val wanted = sources.map { it.sourceName to label(it) }
        if (wanted == shown) return
        shown = wanted
        grid.removeAllViews()
        tiles.keys.retainAll(sources.map { it.sourceName }.toSet())
        grid.columnCount = maxOf(columns, 1)
        grid.rowCount = maxOf(rows, 1)
        for (source in sources) {
            val image = tiles.getOrPut(source.sourceName) {
                ImageView(grid.context).apply { scaleType = ImageView.ScaleType.FIT_CENTER }
            }
            // A kept tile's picture moves into its new frame, keeping the last Bitmap.
            (image.parent as? FrameLayout)?.removeView(image)
            val tile = FrameLayout(grid.context).apply {
                addView(image, FrameLayout.LayoutParams(FrameLayout.LayoutParams.MATCH_PARENT, FrameLayout.LayoutParams.MATCH_PARENT))
                addView(
                    TextView(grid.context).apply { text = label(source) },
                    FrameLayout.LayoutParams(FrameLayout.LayoutParams.WRAP_CONTENT, FrameLayout.LayoutParams.WRAP_CONTENT, Gravity.BOTTOM),
                )
            }
            val params = GridLayout.LayoutParams(
                GridLayout.spec(GridLayout.UNDEFINED, 1f),
                GridLayout.spec(GridLayout.UNDEFINED, 1f),
            ).apply {
                width = 0
                height = 0
            }
            grid.addView(tile, params)
        }
    }

    override fun onFrame(sourceName: String, frame: VideoFrame) {
        val picture = try {
            I420ToArgb.convert(frame)
        } catch (e: FrameFormatException) {
            Log.w("OmniJitsiSample", "remote picture dropped: ${e.message}")
            return
        }
        val bitmap = Bitmap.createBitmap(picture.pixels, picture.width, picture.height, Bitmap.Config.ARGB_8888)
        main.post { tiles[sourceName]?.setImageBitmap(bitmap) }
    }
}
