package org.omnijitsi.sample.permissions

import org.junit.Test
import kotlin.test.assertEquals
import org.omnijitsi.sample.permissions.ForegroundType.MEDIA_PROJECTION
import org.omnijitsi.sample.permissions.ForegroundType.MICROPHONE

class ScreenShareForegroundTest {
    @Test
    fun `from Android 11 a granted microphone keeps recording while the shared app is in front`() {
        assertEquals(setOf(MEDIA_PROJECTION, MICROPHONE), ScreenShareForeground.types(sdkInt = 30, recordAudioGranted = true))
        assertEquals(setOf(MEDIA_PROJECTION, MICROPHONE), ScreenShareForeground.types(sdkInt = 36, recordAudioGranted = true))
    }

    @Test
    fun `a refused microphone shares the screen without the microphone type`() {
        assertEquals(setOf(MEDIA_PROJECTION), ScreenShareForeground.types(sdkInt = 34, recordAudioGranted = false))
        assertEquals(setOf(MEDIA_PROJECTION), ScreenShareForeground.types(sdkInt = 30, recordAudioGranted = false))
    }

    @Test
    fun `Android 10 has no microphone type`() {
        assertEquals(setOf(MEDIA_PROJECTION), ScreenShareForeground.types(sdkInt = 29, recordAudioGranted = true))
    }
}
