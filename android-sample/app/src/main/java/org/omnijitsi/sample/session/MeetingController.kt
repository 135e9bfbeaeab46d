package org.omnijitsi.sample.session

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.omnijitsi.meet.Meeting
import org.omnijitsi.meet.MeetingException
import org.omnijitsi.meet.MeetingOptions
import org.omnijitsi.meet.joinMeeting

/**
 * One meeting for one screen: joins, turns the SDK's events into [state], sends chat, mutes,
 * hangs up. The screen's media glue (capture, playback, the video grid) follows [state] and
 * moves frames through [meeting].
 */
class MeetingController(private val scope: CoroutineScope) {
    private val mutableState = MutableStateFlow(MeetingState())
    val state: StateFlow<MeetingState> = mutableState.asStateFlow()

    /** The joined meeting, for pushing and pulling media; null outside a meeting. */
    @Volatile
    var meeting: Meeting? = null
        private set
    private var myName: String = "Me"

    /**
     * [microphoneAllowed] false (the permission was refused) keeps the microphone closed even
     * if the user unmutes; without the camera the meeting is audio-only anyway.
     */
    fun join(options: MeetingOptions, microphoneAllowed: Boolean = !options.audioMuted) {
        val phase = state.value.phase
        if (phase == Phase.JOINING || phase == Phase.JOINED) return
        myName = options.displayName ?: myName
        mutableState.value = MeetingState(
            phase = Phase.JOINING,
            room = options.room,
            audioMuted = options.audioMuted,
            videoMuted = options.videoMuted || options.audioOnly,
            cameraAllowed = !options.audioOnly,
            microphoneAllowed = microphoneAllowed,
        )
        scope.launch {
            val session = try {
                joinMeeting(options)
            } catch (e: MeetingException) {
                mutableState.update { it.copy(phase = Phase.ENDED, notice = e.message) }
                return@launch
            }
            meeting = session.meeting
            session.events.collect { event -> mutableState.update { it.after(event) } }
            meeting = null
        }
    }

    fun sendChat(text: String) {
        val m = meeting ?: return
        if (text.isBlank()) return
        scope.launch {
            try {
                m.sendChat(text, null)
                // The SDK does not echo our own messages back as events.
                mutableState.update { it.copy(chat = it.chat + ChatLine(from = myName, text = text, private = false)) }
            } catch (e: MeetingException) {
                mutableState.update { it.copy(notice = e.message) }
            }
        }
    }

    /** The SDK answers with AudioMutedChanged, which turns the microphone off or on in [state]. */
    fun setAudioMuted(muted: Boolean) = command { it.setAudioMuted(muted) }

    fun setVideoMuted(muted: Boolean) = command { it.setVideoMuted(muted) }

    /** The phone changed networks: the meeting checks its connections now (see NetworkWatcher). */
    fun networkChanged() = command { it.networkChanged() }

    private fun command(call: suspend (Meeting) -> Unit) {
        val m = meeting ?: return
        scope.launch {
            try {
                call(m)
            } catch (e: MeetingException) {
                mutableState.update { it.copy(notice = e.message) }
            }
        }
    }

    /** The events flow then ends with ConferenceTerminated, which moves [state] to ENDED. */
    fun hangUp() {
        val m = meeting ?: return
        scope.launch {
            try {
                m.hangUp()
            } catch (_: MeetingException.MeetingEnded) {
                // Ended on its own meanwhile: the state already says why.
            } catch (e: MeetingException) {
                mutableState.update { it.copy(notice = e.message) }
            }
        }
    }

    /**
     * For a screen going away for good: hangs up in a scope of its own, because the screen's
     * scope is being cancelled and the room should see us leave rather than time out.
     */
    fun close() {
        val m = meeting ?: return
        meeting = null
        CoroutineScope(Dispatchers.Default).launch {
            try {
                m.hangUp()
            } catch (_: MeetingException) {
                // Nothing left to tell anyone: the screen is gone.
            }
        }
    }
}
