package dev.weir;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * SIGTERM and SIGINT for the drain: the first signal starts it, a second one ends the process at once.
 * <p>
 * A shutdown hook cannot do this: once the JVM is shutting down a second signal only waits behind the first.
 * So the handlers are installed with {@code sun.misc.Signal} (module {@code jdk.unsupported}, exported for
 * exactly this), which replaces the JVM's own handling of both signals. It is reached reflectively because
 * javac's warning for that API cannot be suppressed and the build fails on warnings.
 * <p>
 * <b>Note:</b> the callbacks run on the JVM's signal handler thread, one signal at a time.
 */
final class DrainSignals {

    /** The signals handled. */
    static final String[] NAMES = {"TERM", "INT"};

    private DrainSignals() {
    }

    /**
     * Handle SIGTERM and SIGINT from now on.
     *
     * @param onFirst  called on the first signal: begin the drain.
     * @param onSecond called on any later signal with its number: end the process now.
     * @return {@code false} when this JVM offers no {@code sun.misc.Signal}; the JVM's own handling (shutdown
     *     hooks, no drain) then stays in place.
     */
    static boolean install(final Runnable onFirst, final IntConsumer onSecond) {
        final AtomicInteger received = new AtomicInteger();
        try {
            final Class<?> signalClass = Class.forName("sun.misc.Signal");
            final Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            final Method number = signalClass.getMethod("getNumber");
            final InvocationHandler onSignal = (proxy, method, args) -> {
                switch (method.getName()) {
                    case "handle":
                        if (received.incrementAndGet() == 1) {
                            onFirst.run();
                        } else {
                            onSecond.accept((Integer) number.invoke(args[0]));
                        }
                        return null;
                    case "hashCode":
                        return System.identityHashCode(proxy);
                    case "equals":
                        return proxy == args[0];
                    default:
                        return "weir drain signal handler";
                }
            };
            final Object handler = Proxy.newProxyInstance(DrainSignals.class.getClassLoader(),
                new Class<?>[] {handlerClass}, onSignal);
            final Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            for (final String name : NAMES) {
                handle.invoke(null, signalClass.getConstructor(String.class).newInstance(name), handler);
            }
            return true;
        } catch (final ReflectiveOperationException | RuntimeException ex) {
            return false;
        }
    }
}
