package org.omnijitsi.meet

/**
 * A token, room password or stream key. Its [toString] never shows the value, so an options
 * object can be logged: `MeetingOptions(room = "r", token = Secret(jwt))`.
 */
class Secret(val value: String) {
    override fun toString(): String = "<redacted>"

    override fun equals(other: Any?): Boolean = other is Secret && other.value == value

    override fun hashCode(): Int = value.hashCode()
}
