package org.omnijitsi.meet

import com.sun.jna.CallbackThreadInitializer
import com.sun.jna.Native
import com.sun.jna.Pointer
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.receiveAsFlow

/**
 * A joined meeting together with its events as a [Flow].
 *
 * The flow delivers every event of the meeting in order, ending after
 * [MeetingEvent.ConferenceTerminated]. Events are buffered without limit, so a slow collector
 * never stalls the meeting. Collect it once.
 */
class MeetingSession internal constructor(
    /** The meeting handle: chat, mute, raise hand, moderation, hang up. */
    val meeting: Meeting,
    /** Every event, from [MeetingEvent.ConferenceWillJoin] to [MeetingEvent.ConferenceTerminated]. */
    val events: Flow<MeetingEvent>,
)

/**
 * Joins a conference and returns once the room has confirmed the join.
 *
 * ```
 * val session = joinMeeting(MeetingOptions(room = "standup", displayName = "Ann"))
 * scope.launch { session.events.collect { event -> render(event) } }
 * session.meeting.sendChat("hello", null)
 * session.meeting.hangUp()
 * ```
 *
 * @throws MeetingException a typed reason when the join fails, e.g.
 *   [MeetingException.WrongPassword] or [MeetingException.InvalidRoomName].
 */
suspend fun joinMeeting(options: MeetingOptions): MeetingSession {
    EventThread.install()
    val channel = Channel<MeetingEvent>(Channel.UNLIMITED)
    val listener = object : MeetingListener {
        override fun onEvent(event: MeetingEvent) {
            channel.trySend(event)
            if (event is MeetingEvent.ConferenceTerminated) channel.close()
        }
    }
    val meeting = join(options, listener)
    return MeetingSession(meeting, channel.receiveAsFlow())
}

/**
 * A [MeetingListener] with one overridable callback per event, named like the
 * omni_jitsi_meet Flutter plugin's listener. Override only what you need.
 * Callbacks run on the meeting's event thread (`omni-jitsi-events`), in order.
 */
open class MeetingListenerAdapter : MeetingListener {
    init {
        EventThread.install()
    }

    open fun onConferenceWillJoin(room: String) {}
    open fun onConferenceJoined(room: String, endpointId: String, role: Role) {}
    open fun onConferenceTerminated(reason: TerminationReason, error: String?, message: String?) {}
    open fun onConnectionStateChanged(state: ConnectionState) {}
    open fun onParticipantJoined(participant: Participant) {}
    open fun onParticipantLeft(endpointId: String, displayName: String?) {}
    open fun onParticipantUpdated(participant: Participant) {}
    open fun onRoleChanged(role: Role) {}
    open fun onAudioMutedChanged(muted: Boolean) {}
    open fun onVideoMutedChanged(muted: Boolean) {}
    open fun onHandRaisedChanged(raised: Boolean) {}
    open fun onChatMessageReceived(message: ChatMessage) {}
    open fun onSubjectChanged(subject: String) {}
    open fun onRecordingStatusChanged(recording: Recording) {}
    open fun onLobbyEntered(lobbyRoom: String?) {}
    open fun onRemoteTrackAdded(endpointId: String, sourceName: String, kind: MediaKind) {}
    open fun onRemoteTrackRemoved(endpointId: String, sourceName: String, kind: MediaKind) {}
    open fun onP2pStatusChanged(active: Boolean) {}
    open fun onMediaConnectionChanged(interrupted: Boolean) {}
    open fun onScreenShareToggled(endpointId: String, on: Boolean) {}
    open fun onDominantSpeakerChanged(endpointId: String) {}
    open fun onForwardedSourcesChanged(sources: List<String>) {}
    open fun onEndpointMessageReceived(from: String, json: String) {}
    open fun onError(error: String, message: String) {}

    final override fun onEvent(event: MeetingEvent) {
        when (event) {
            is MeetingEvent.ConferenceWillJoin -> onConferenceWillJoin(event.room)
            is MeetingEvent.ConferenceJoined -> onConferenceJoined(event.room, event.endpointId, event.role)
            is MeetingEvent.ConferenceTerminated -> onConferenceTerminated(event.reason, event.error, event.message)
            is MeetingEvent.ConnectionStateChanged -> onConnectionStateChanged(event.state)
            is MeetingEvent.ParticipantJoined -> onParticipantJoined(event.participant)
            is MeetingEvent.ParticipantLeft -> onParticipantLeft(event.endpointId, event.displayName)
            is MeetingEvent.ParticipantUpdated -> onParticipantUpdated(event.participant)
            is MeetingEvent.RoleChanged -> onRoleChanged(event.role)
            is MeetingEvent.AudioMutedChanged -> onAudioMutedChanged(event.muted)
            is MeetingEvent.VideoMutedChanged -> onVideoMutedChanged(event.muted)
            is MeetingEvent.HandRaisedChanged -> onHandRaisedChanged(event.raised)
            is MeetingEvent.ChatMessageReceived -> onChatMessageReceived(event.message)
            is MeetingEvent.SubjectChanged -> onSubjectChanged(event.subject)
            is MeetingEvent.RecordingStatusChanged -> onRecordingStatusChanged(event.recording)
            is MeetingEvent.LobbyEntered -> onLobbyEntered(event.lobbyRoom)
            is MeetingEvent.RemoteTrackAdded -> onRemoteTrackAdded(event.endpointId, event.sourceName, event.kind)
            is MeetingEvent.RemoteTrackRemoved -> onRemoteTrackRemoved(event.endpointId, event.sourceName, event.kind)
            is MeetingEvent.P2pStatusChanged -> onP2pStatusChanged(event.active)
            is MeetingEvent.MediaConnectionChanged -> onMediaConnectionChanged(event.interrupted)
            is MeetingEvent.ScreenShareToggled -> onScreenShareToggled(event.endpointId, event.on)
            is MeetingEvent.DominantSpeakerChanged -> onDominantSpeakerChanged(event.endpointId)
            is MeetingEvent.ForwardedSourcesChanged -> onForwardedSourcesChanged(event.sources)
            is MeetingEvent.EndpointMessageReceived -> onEndpointMessageReceived(event.from, event.json)
            is MeetingEvent.Error -> onError(event.error, event.message)
        }
    }
}

/**
 * Keeps the SDK's native event thread attached to the JVM under one name. By default JNA attaches
 * a native thread for each callback and detaches it afterwards, so every event would arrive on a
 * new `Thread-N` and pay for the attach.
 *
 * JNA takes a callback's thread initializer when it first makes the callback's native pointer,
 * which loading the library does for the generated one. An app may load the library first (e.g.
 * with [setLogLevel]), so the listener vtable is registered again here with a callback of our
 * own, whose pointer is made only after its initializer is set. The core reads the vtable at each
 * call; the first one stays referenced for a call already under way.
 */
internal object EventThread {
    const val NAME = "omni-jitsi-events"

    private object NamedOnEvent : UniffiCallbackInterfaceMeetingListenerMethod0 {
        override fun callback(
            uniffiHandle: Long,
            event: RustBuffer.ByValue,
            uniffiOutReturn: Pointer,
            uniffiCallStatus: UniffiRustCallStatus,
        ) = uniffiCallbackInterfaceMeetingListener.onEvent.callback(uniffiHandle, event, uniffiOutReturn, uniffiCallStatus)
    }

    @Suppress("unused") private val generated = uniffiCallbackInterfaceMeetingListener.vtable

    init {
        Native.setCallbackThreadInitializer(NamedOnEvent, CallbackThreadInitializer(true, false, NAME))
        val named = UniffiVTableCallbackInterfaceMeetingListener.UniffiByValue(
            uniffiCallbackInterfaceMeetingListener.uniffiFree,
            uniffiCallbackInterfaceMeetingListener.uniffiClone,
            NamedOnEvent,
        )
        uniffiCallbackInterfaceMeetingListener.vtable = named
        UniffiLib.uniffi_omni_jitsi_meet_fn_init_callback_vtable_meetinglistener(named)
    }

    fun install() = Unit
}
