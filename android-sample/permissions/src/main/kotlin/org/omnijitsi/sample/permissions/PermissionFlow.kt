package org.omnijitsi.sample.permissions

/** The user's answer to one permission after the system dialog. */
enum class Answer { GRANTED, DENIED, PERMANENTLY_DENIED }

/** How much of one [Access] the app ended up with. */
enum class Grant {
    GRANTED,

    /** Android 14+ "select photos and videos": usable, limited to what the user picked. */
    PARTIAL,
    DENIED,

    /** "Don't ask again": only the app's system settings can change it now. */
    PERMANENTLY_DENIED,
    ;

    val usable: Boolean get() = this == GRANTED || this == PARTIAL
}

/** The platform calls the flow makes; the app implements it with the Activity APIs. */
interface PermissionPlatform {
    /** `Build.VERSION.SDK_INT` of the device. */
    val sdkInt: Int

    fun isGranted(permission: String): Boolean

    /**
     * Shows the system dialog for all [permissions] at once and returns the answer to each.
     * A permission missing from the result counts as denied: Android returns an empty result
     * when the request is interrupted.
     */
    suspend fun request(permissions: List<String>): Map<String, Answer>
}

/** What the meeting can use, and so how to join. */
data class JoinPlan(val grants: Map<Access, Grant>) {
    fun grant(access: Access): Grant = grants[access] ?: Grant.DENIED

    /** Without the camera there is no video source at all, so video could not be unmuted later. */
    val audioOnly: Boolean get() = !grant(Access.CAMERA).usable

    val audioMuted: Boolean get() = !grant(Access.MICROPHONE).usable

    val refused: List<Access> get() = Access.entries.filter { !grant(it).usable }
}

sealed interface Decision {
    val plan: JoinPlan

    /** Nothing was refused: join straight away. */
    data class Join(override val plan: JoinPlan) : Decision

    /**
     * Something was refused: show [message], then let the user join with [plan] anyway, ask
     * again when [canAskAgain], or open the app's settings when [needsSettings].
     */
    data class Explain(
        override val plan: JoinPlan,
        val message: String,
        val canAskAgain: Boolean,
        val needsSettings: Boolean,
    ) : Decision
}

/**
 * Asks for what a meeting needs before joining, and turns refusals into a way to join anyway
 * (audio-only without the camera, muted without the microphone) instead of a failure.
 * Run it again for "ask again": it only asks for what is still missing.
 */
class PermissionFlow(private val platform: PermissionPlatform) {
    suspend fun beforeJoin(): Decision {
        val wanted = Access.entries.associateWith { AndroidPermissions.forAccess(it, platform.sdkInt) }
        val missing = wanted.values.flatten().filterNot(platform::isGranted)
        val answers = if (missing.isEmpty()) emptyMap() else platform.request(missing)
        val answerOf = { permission: String ->
            answers[permission] ?: if (platform.isGranted(permission)) Answer.GRANTED else Answer.DENIED
        }
        return decide(JoinPlan(wanted.mapValues { (_, permissions) -> grantOf(permissions.associateWith(answerOf)) }))
    }

    private fun grantOf(answers: Map<String, Answer>): Grant {
        val (partial, full) = answers.entries.partition { AndroidPermissions.isPartialGrant(it.key) }
        return when {
            full.all { it.value == Answer.GRANTED } -> Grant.GRANTED
            partial.any { it.value == Answer.GRANTED } -> Grant.PARTIAL
            full.any { it.value == Answer.PERMANENTLY_DENIED } -> Grant.PERMANENTLY_DENIED
            else -> Grant.DENIED
        }
    }

    private fun decide(plan: JoinPlan): Decision {
        val refused = plan.refused
        if (refused.isEmpty()) return Decision.Join(plan)
        val needsSettings = refused.any { plan.grant(it) == Grant.PERMANENTLY_DENIED }
        val lines = refused.map(::consequence).toMutableList()
        if (needsSettings) lines += "To change this, allow it in the app's settings."
        return Decision.Explain(
            plan = plan,
            message = lines.joinToString("\n"),
            canAskAgain = refused.any { plan.grant(it) == Grant.DENIED },
            needsSettings = needsSettings,
        )
    }

    private fun consequence(access: Access): String = when (access) {
        Access.CAMERA -> "Camera access was refused: you will join audio-only, without video."
        Access.MICROPHONE -> "Microphone access was refused: you will join muted."
        Access.MEDIA_LIBRARY -> "Photo and video library access was refused: nothing can be saved to or picked from it."
        Access.NOTIFICATIONS -> "Notifications were refused: screen sharing will run without its notification."
    }
}

/**
 * Android reports a refusal as a plain "denied"; whether the dialog can still appear is read from
 * `shouldShowRequestPermissionRationale` right after the answer: false then means "don't ask
 * again" (or, on Android 11+, a second refusal). A dialog dismissed by tapping outside also
 * leaves it false, so that case reads as permanent; tapping Join again still asks once more.
 */
fun answerAfterRequest(granted: Boolean, showRationale: Boolean): Answer = when {
    granted -> Answer.GRANTED
    showRationale -> Answer.DENIED
    else -> Answer.PERMANENTLY_DENIED
}
