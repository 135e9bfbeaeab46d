package org.omnijitsi.sample.permissions

import kotlinx.coroutines.runBlocking
import org.junit.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertTrue
import org.omnijitsi.sample.permissions.AndroidPermissions as P

/** A device whose user answers the system dialog as scripted, remembering what was granted. */
private class FakeDevice(
    override val sdkInt: Int,
    private val answers: Map<String, Answer> = emptyMap(),
    alreadyGranted: Set<String> = emptySet(),
) : PermissionPlatform {
    private val granted = alreadyGranted.toMutableSet()
    val dialogs = mutableListOf<List<String>>()

    override fun isGranted(permission: String) = permission in granted

    override suspend fun request(permissions: List<String>): Map<String, Answer> {
        dialogs += permissions
        val result = permissions.associateWith { answers[it] ?: Answer.GRANTED }
        granted += result.filterValues { it == Answer.GRANTED }.keys
        return result
    }
}

private fun FakeDevice.beforeJoin() = runBlocking { PermissionFlow(this@beforeJoin).beforeJoin() }

class PermissionFlowTest {
    @Test
    fun `everything granted joins with camera and microphone`() {
        val device = FakeDevice(sdkInt = 35)
        val decision = device.beforeJoin()
        assertIs<Decision.Join>(decision)
        assertFalse(decision.plan.audioOnly)
        assertFalse(decision.plan.audioMuted)
        assertEquals(
            listOf(
                listOf(
                    P.CAMERA,
                    P.RECORD_AUDIO,
                    P.READ_MEDIA_IMAGES,
                    P.READ_MEDIA_VIDEO,
                    P.READ_MEDIA_VISUAL_USER_SELECTED,
                    P.POST_NOTIFICATIONS,
                ),
            ),
            device.dialogs,
        )
    }

    @Test
    fun `permissions granted earlier are not asked for again`() {
        val device = FakeDevice(sdkInt = 35)
        device.beforeJoin()
        val second = device.beforeJoin()
        assertIs<Decision.Join>(second)
        assertEquals(1, device.dialogs.size)
    }

    @Test
    fun `a refused camera joins audio-only and offers to ask again`() {
        val device = FakeDevice(sdkInt = 34, answers = mapOf(P.CAMERA to Answer.DENIED))
        val decision = device.beforeJoin()
        assertIs<Decision.Explain>(decision)
        assertTrue(decision.plan.audioOnly)
        assertFalse(decision.plan.audioMuted)
        assertTrue(decision.canAskAgain)
        assertFalse(decision.needsSettings)
        assertEquals("Camera access was refused: you will join audio-only, without video.", decision.message)
    }

    @Test
    fun `asking again after a refusal asks only for what is still missing`() {
        val device = FakeDevice(sdkInt = 34, answers = mapOf(P.CAMERA to Answer.DENIED))
        device.beforeJoin()
        device.beforeJoin()
        assertEquals(listOf(P.CAMERA), device.dialogs.last())
    }

    @Test
    fun `a permanently refused microphone joins muted and points to settings`() {
        val device = FakeDevice(sdkInt = 30, answers = mapOf(P.RECORD_AUDIO to Answer.PERMANENTLY_DENIED))
        val decision = device.beforeJoin()
        assertIs<Decision.Explain>(decision)
        assertTrue(decision.plan.audioMuted)
        assertFalse(decision.plan.audioOnly)
        assertFalse(decision.canAskAgain)
        assertTrue(decision.needsSettings)
        assertEquals(
            "Microphone access was refused: you will join muted.\nTo change this, allow it in the app's settings.",
            decision.message,
        )
    }

    @Test
    fun `camera and microphone both refused still lets the user join, audio-only and muted`() {
        val device = FakeDevice(
            sdkInt = 33,
            answers = mapOf(P.CAMERA to Answer.PERMANENTLY_DENIED, P.RECORD_AUDIO to Answer.DENIED),
        )
        val decision = device.beforeJoin()
        assertIs<Decision.Explain>(decision)
        assertTrue(decision.plan.audioOnly)
        assertTrue(decision.plan.audioMuted)
        assertEquals(listOf(Access.CAMERA, Access.MICROPHONE), decision.plan.refused)
        assertTrue(decision.canAskAgain)
        assertTrue(decision.needsSettings)
    }

    @Test
    fun `selected photos only on Android 14 is partial access, not a refusal`() {
        val device = FakeDevice(
            sdkInt = 34,
            answers = mapOf(P.READ_MEDIA_IMAGES to Answer.DENIED, P.READ_MEDIA_VIDEO to Answer.DENIED),
        )
        val decision = device.beforeJoin()
        assertIs<Decision.Join>(decision)
        assertEquals(Grant.PARTIAL, decision.plan.grant(Access.MEDIA_LIBRARY))
    }

    @Test
    fun `a refused media library is explained but keeps camera and microphone`() {
        val device = FakeDevice(sdkInt = 33, answers = mapOf(P.READ_MEDIA_IMAGES to Answer.DENIED))
        val decision = device.beforeJoin()
        assertIs<Decision.Explain>(decision)
        assertEquals(listOf(Access.MEDIA_LIBRARY), decision.plan.refused)
        assertFalse(decision.plan.audioOnly)
        assertFalse(decision.plan.audioMuted)
    }

    @Test
    fun `an interrupted request counts as a refusal that can be asked again`() {
        val interrupted = object : PermissionPlatform {
            override val sdkInt = 35
            override fun isGranted(permission: String) = false
            override suspend fun request(permissions: List<String>) = emptyMap<String, Answer>()
        }
        val decision = runBlocking { PermissionFlow(interrupted).beforeJoin() }
        assertIs<Decision.Explain>(decision)
        assertEquals(Access.entries, decision.plan.refused)
        assertTrue(decision.canAskAgain)
        assertFalse(decision.needsSettings)
    }

    @Test
    fun `before Android 6 everything is granted at install and no dialog is shown`() {
        val device = FakeDevice(sdkInt = 21)
        assertIs<Decision.Join>(device.beforeJoin())
        assertEquals(emptyList(), device.dialogs)
    }

    @Test
    fun `storage permissions follow the Android version`() {
        fun media(sdk: Int) = FakeDevice(sdkInt = sdk).also { it.beforeJoin() }.dialogs.single().drop(2) - P.POST_NOTIFICATIONS
        assertEquals(listOf(P.WRITE_EXTERNAL_STORAGE), media(28))
        assertEquals(listOf(P.READ_EXTERNAL_STORAGE), media(29))
        assertEquals(listOf(P.READ_EXTERNAL_STORAGE), media(32))
        assertEquals(listOf(P.READ_MEDIA_IMAGES, P.READ_MEDIA_VIDEO), media(33))
        assertEquals(listOf(P.READ_MEDIA_IMAGES, P.READ_MEDIA_VIDEO, P.READ_MEDIA_VISUAL_USER_SELECTED), media(36))
    }

    @Test
    fun `notifications are asked for from Android 13`() {
        fun asked(sdk: Int) = P.POST_NOTIFICATIONS in FakeDevice(sdkInt = sdk).also { it.beforeJoin() }.dialogs.single()
        assertFalse(asked(32))
        assertTrue(asked(33))
    }

    @Test
    fun `refused notifications are explained and keep camera and microphone`() {
        val device = FakeDevice(sdkInt = 33, answers = mapOf(P.POST_NOTIFICATIONS to Answer.DENIED))
        val decision = device.beforeJoin()
        assertIs<Decision.Explain>(decision)
        assertEquals(listOf(Access.NOTIFICATIONS), decision.plan.refused)
        assertFalse(decision.plan.audioOnly)
        assertFalse(decision.plan.audioMuted)
        assertEquals("Notifications were refused: screen sharing will run without its notification.", decision.message)
    }

    @Test
    fun `a refusal without a rationale to show is permanent`() {
        assertEquals(Answer.GRANTED, answerAfterRequest(granted = true, showRationale = false))
        assertEquals(Answer.DENIED, answerAfterRequest(granted = false, showRationale = true))
        assertEquals(Answer.PERMANENTLY_DENIED, answerAfterRequest(granted = false, showRationale = false))
    }
}
