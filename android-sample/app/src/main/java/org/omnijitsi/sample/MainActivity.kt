package org.omnijitsi.sample

import android.app.Activity
import android.app.AlertDialog
import android.content.Context
import android.content.Intent
import android.media.projection.MediaProjectionManager
import android.net.Uri
import android.os.Build
import android.os.Bundle
import android.provider.Settings
import android.view.View
import android.view.WindowInsets
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.EditText
import android.widget.GridLayout
import android.widget.ListView
import android.widget.TextView
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import org.omnijitsi.sample.device.MediaGlue
import org.omnijitsi.sample.device.ScreenShareService
import org.omnijitsi.sample.permissions.Decision
import org.omnijitsi.sample.permissions.JoinPlan
import org.omnijitsi.sample.permissions.PermissionFlow
import org.omnijitsi.sample.session.JoinForm
import org.omnijitsi.sample.session.MeetingController
import org.omnijitsi.sample.session.MeetingState
import org.omnijitsi.sample.session.Phase
import org.omnijitsi.sample.session.render

/**
 * One screen: the join form, then the meeting (others' video, mute and screen-share buttons,
 * participants, chat, hang up). Capture and playback live in device/MediaGlue.
 */
class MainActivity : Activity() {
    private val scope = MainScope()
    private lateinit var permissions: ActivityPermissions
    private lateinit var controller: MeetingController
    private lateinit var chatLines: ArrayAdapter<String>
    private lateinit var media: MediaGlue
    private var sharingScreen = false

    private lateinit var joinForm: View
    private lateinit var joinButton: Button
    private lateinit var status: TextView
    private lateinit var meeting: View
    private lateinit var participants: TextView
    private lateinit var chatInput: EditText
    private lateinit var microphoneButton: Button
    private lateinit var cameraButton: Button
    private lateinit var screenButton: Button
    private lateinit var network: NetworkWatcher

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        keepClearOfSystemBars(view(R.id.root))
        permissions = ActivityPermissions(this)
        controller = MeetingController(scope)
        network = NetworkWatcher(this) { controller.networkChanged() }.also { it.start() }

        joinForm = view(R.id.join_form)
        joinButton = view(R.id.join)
        status = view(R.id.status)
        meeting = view(R.id.meeting)
        participants = view(R.id.participants)
        chatInput = view(R.id.chat_input)
        microphoneButton = view(R.id.microphone)
        cameraButton = view(R.id.camera)
        screenButton = view(R.id.screen)
        media = MediaGlue(this, scope, view<GridLayout>(R.id.video_grid))
        chatLines = ArrayAdapter(this, android.R.layout.simple_list_item_1)
        view<ListView>(R.id.chat).adapter = chatLines

        joinButton.setOnClickListener { askThenJoin(readForm()) }
        view<Button>(R.id.send).setOnClickListener {
            controller.sendChat(chatInput.text.toString())
            chatInput.text.clear()
        }
        view<Button>(R.id.hang_up).setOnClickListener { controller.hangUp() }
        microphoneButton.setOnClickListener { controller.setAudioMuted(!controller.state.value.audioMuted) }
        cameraButton.setOnClickListener { controller.setVideoMuted(!controller.state.value.videoMuted) }
        screenButton.setOnClickListener { toggleScreenShare() }

        scope.launch { controller.state.collect { render(it) } }
    }

    // Activity's own implementation does nothing, and calling it would need API 23.
    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        this.permissions.onResult(requestCode, permissions, grantResults)
    }

    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        val m = controller.meeting
        if (requestCode != SCREEN_CAPTURE || resultCode != RESULT_OK || data == null || m == null) return
        ScreenShareService.start(this, m, resultCode, data)
        sharingScreen = true
        screenButton.setText(R.string.stop_sharing)
    }

    /** The system asks the user first; sharing starts in [onActivityResult]. */
    private fun toggleScreenShare() {
        if (sharingScreen) {
            ScreenShareService.stop(this)
            sharingScreen = false
            screenButton.setText(R.string.share_screen)
            return
        }
        val projections = getSystemService(Context.MEDIA_PROJECTION_SERVICE) as MediaProjectionManager
        startActivityForResult(projections.createScreenCaptureIntent(), SCREEN_CAPTURE)
    }

    override fun onDestroy() {
        network.stop()
        ScreenShareService.stop(this)
        media.close()
        controller.close()
        scope.cancel()
        super.onDestroy()
    }

    private fun readForm() = JoinForm(
        serverUrl = text(R.id.server_url),
        room = text(R.id.room),
        displayName = text(R.id.display_name),
        email = text(R.id.email),
        avatarUrl = text(R.id.avatar_url),
    )

    private fun text(id: Int) = view<EditText>(id).text.toString()

    private fun askThenJoin(form: JoinForm) {
        form.problem?.let {
            status.text = it
            return
        }
        joinButton.isEnabled = false
        scope.launch {
            when (val decision = PermissionFlow(permissions).beforeJoin()) {
                is Decision.Join -> join(form, decision.plan)
                is Decision.Explain -> explain(form, decision)
            }
        }
    }

    /** A refusal is explained, never fatal: the user can still join audio-only or muted. */
    private fun explain(form: JoinForm, decision: Decision.Explain) {
        val dialog = AlertDialog.Builder(this)
            .setTitle(R.string.permissions_title)
            .setMessage(decision.message)
            .setPositiveButton(R.string.join_anyway) { _, _ -> join(form, decision.plan) }
            .setNegativeButton(R.string.cancel) { _, _ -> joinButton.isEnabled = true }
            .setOnCancelListener { joinButton.isEnabled = true }
        when {
            decision.canAskAgain -> dialog.setNeutralButton(R.string.ask_again) { _, _ -> askThenJoin(form) }
            decision.needsSettings -> dialog.setNeutralButton(R.string.open_settings) { _, _ ->
                joinButton.isEnabled = true
                startActivity(
                    Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", packageName, null)),
                )
            }
        }
        dialog.show()
    }

    private fun join(form: JoinForm, plan: JoinPlan) {
        controller.join(form.toOptions(plan), microphoneAllowed = !plan.audioMuted)
    }

    private fun render(state: MeetingState) {
        val inMeeting = state.phase == Phase.JOINING || state.phase == Phase.JOINED
        joinForm.visibility = if (inMeeting) View.GONE else View.VISIBLE
        joinButton.isEnabled = !inMeeting
        meeting.visibility = if (state.phase == Phase.JOINED) View.VISIBLE else View.GONE
        status.text = state.statusLine
        participants.text = state.participantsLine
        chatLines.clear()
        chatLines.addAll(state.chat.map { it.render() })
        microphoneButton.setText(if (state.audioMuted) R.string.unmute else R.string.mute)
        microphoneButton.isEnabled = state.microphoneAllowed
        cameraButton.setText(if (state.videoMuted) R.string.camera_on else R.string.camera_off)
        cameraButton.isEnabled = state.cameraAllowed
        if (state.phase != Phase.JOINED && sharingScreen) {
            ScreenShareService.stop(this)
            sharingScreen = false
            screenButton.setText(R.string.share_screen)
        }
        media.follow(state, controller.meeting)
    }

    /**
     * With targetSdk 35+, Android 15 draws the app edge to edge: without this padding the form
     * would sit under the status bar and the chat field under the keyboard. Older versions
     * still fit the window between the bars (and resize it for the keyboard) themselves.
     */
    private fun keepClearOfSystemBars(root: View) {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.VANILLA_ICE_CREAM) return
        val left = root.paddingLeft
        val top = root.paddingTop
        val right = root.paddingRight
        val bottom = root.paddingBottom
        root.setOnApplyWindowInsetsListener { view, insets ->
            val bars = insets.getInsets(WindowInsets.Type.systemBars() or WindowInsets.Type.ime())
            view.setPadding(left + bars.left, top + bars.top, right + bars.right, bottom + bars.bottom)
            insets
        }
    }

    // findViewById is generic only from API 26; a cast compiles against every level.
    private inline fun <reified V : View> view(id: Int): V = findViewById(id) as V

    private companion object {
        const val SCREEN_CAPTURE = 1
    }
}
