// The permission-then-join flow and the screen share's foreground service types, plain Kotlin on
// purpose: no Android classes, so its tests run on any JVM (`./gradlew :permissions:test`, and
// `cargo xtask test` with kotlinc).
plugins {
    id("org.jetbrains.kotlin.jvm")
}

// Bytecode for Java 17 like the Android modules, without requiring a JDK 17 toolchain (Android
// Studio runs Gradle on its own, newer JDK).
java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

dependencies {
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.10.2")
    testImplementation(kotlin("test-junit"))
    testImplementation("junit:junit:4.13.2")
}
