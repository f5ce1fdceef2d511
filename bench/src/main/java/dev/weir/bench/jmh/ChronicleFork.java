package dev.weir.bench.jmh;

import org.openjdk.jmh.annotations.Fork;

/**
 * The fork settings of every benchmark that touches Chronicle Bytes, in one place: JMH looks for {@link Fork}
 * on a benchmark's superclasses, so a benchmark extends this class instead of repeating the flag list.
 * <p>
 * The list is {@code stages/src/main/resources/dev/weir/chronicle-jvm-flags.txt}, the flags Chronicle Bytes
 * needs on Java 17. An annotation holds only constants, so it cannot read the file; {@code ChronicleForkTest}
 * fails when this copy differs from it.
 */
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true"
})
public abstract class ChronicleFork {
}
