package org.omnijitsi.meet

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import java.util.concurrent.TimeUnit

/**
 * Which SDK call an app makes first must not matter. Only a JVM of its own shows it, since in
 * this one another test has already loaded the library.
 */
class FirstCallTest {
    @Test
    fun eventsArriveOnTheEventThreadWhenTheAppSetsTheLogLevelBeforeJoining() {
        val log = File.createTempFile("first-call", ".log")
        try {
            val java = File(System.getProperty("java.home"), "bin/java").path
            val process = ProcessBuilder(
                java,
                "-Djna.library.path=${System.getProperty("jna.library.path")}",
                "-cp",
                System.getProperty("java.class.path"),
                LogLevelFirstApp::class.java.name,
            ).redirectErrorStream(true).redirectOutput(log).start()
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly()
            }
            val output = log.readText()
            assertEquals(output, 0, process.exitValue())
            assertTrue(output, output.lines().contains("event thread: ${EventThread.NAME}"))
        } finally {
            log.delete()
        }
    }
}
