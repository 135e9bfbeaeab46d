// The JUnit runner of `cargo xtask test`: JUnitCore's text output, except that each test's name
// is printed when it starts and ends instead of a dot, so that a run killed at its time limit
// can say which test hung.
package org.omnijitsi.xtask

import org.junit.internal.TextListener
import org.junit.runner.Description
import org.junit.runner.JUnitCore
import kotlin.system.exitProcess

private class NamingListener : TextListener(System.out) {
    override fun testStarted(description: Description) {
        println("junit: started ${description.displayName}")
    }

    override fun testFinished(description: Description) {
        println("junit: finished ${description.displayName}")
    }
}

fun main(args: Array<String>) {
    val core = JUnitCore()
    core.addListener(NamingListener())
    val result = core.run(*args.map { Class.forName(it) }.toTypedArray())
    exitProcess(if (result.wasSuccessful()) 0 else 1)
}
