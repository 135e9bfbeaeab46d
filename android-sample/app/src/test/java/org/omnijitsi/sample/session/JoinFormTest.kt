package org.omnijitsi.sample.session

import org.junit.Test
import org.omnijitsi.sample.permissions.Access
import org.omnijitsi.sample.permissions.Grant
import org.omnijitsi.sample.permissions.JoinPlan
import kotlin.test.assertEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue

class JoinFormTest {
    @Test
    fun `refused permissions turn into audio-only and muted options`() {
        val form = JoinForm(
            serverUrl = " https://meet.example.org ",
            room = " Standup ",
            displayName = "Ann",
            email = "",
            avatarUrl = "https://example.org/ann.png",
        )
        val plan = JoinPlan(
            mapOf(Access.CAMERA to Grant.DENIED, Access.MICROPHONE to Grant.PERMANENTLY_DENIED, Access.MEDIA_LIBRARY to Grant.GRANTED),
        )
        val options = form.toOptions(plan)
        assertEquals("Standup", options.room)
        assertEquals("https://meet.example.org", options.serverUrl)
        assertEquals("Ann", options.displayName)
        assertNull(options.email)
        assertEquals("https://example.org/ann.png", options.avatarUrl)
        assertTrue(options.audioOnly)
        assertTrue(options.audioMuted)
    }

    @Test
    fun `an empty room name is caught before joining`() {
        assertEquals("Enter a room name", JoinForm("https://meet.jit.si", "  ", "", "", "").problem)
        assertNull(JoinForm("https://meet.jit.si", "standup", "", "", "").problem)
    }
}
