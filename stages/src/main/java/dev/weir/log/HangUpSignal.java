package dev.weir.log;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Runs an action on SIGHUP, through {@code sun.misc.Signal} (module {@code jdk.unsupported}), the one way a JVM
 * program can handle a signal. It is reached by reflection because javac reports it as internal proprietary API
 * with a warning no annotation suppresses, and the build fails on warnings.
 * <p>
 * Installing the handler replaces the JVM's own, which treats SIGHUP as a request to shut down.
 * <p>
 * <b>Note:</b> startup only; the action runs on the JVM's signal dispatcher thread and must return quickly.
 */
public final class HangUpSignal {

    private HangUpSignal() {
    }

    /**
     * Handle SIGHUP with an action from now on.
     *
     * @param action what to do on each SIGHUP, e.g. {@link AccessLog#requestReopen()}.
     * @return {@code true} when installed; {@code false} when this JVM offers no {@code sun.misc.Signal} or the
     *         signal cannot be handled (e.g. the JVM runs with {@code -Xrs}).
     */
    public static boolean install(final Runnable action) {
        try {
            final Class<?> signalClass = Class.forName("sun.misc.Signal");
            final Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            final Object signal = signalClass.getConstructor(String.class).newInstance("HUP");
            final InvocationHandler onSignal = (final Object proxy, final Method method, final Object[] args) -> {
                if ("handle".equals(method.getName())) {
                    action.run();
                    return null;
                }
                if ("toString".equals(method.getName())) {
                    return "weir SIGHUP handler";
                }
                if ("hashCode".equals(method.getName())) {
                    return System.identityHashCode(proxy);
                }
                return "equals".equals(method.getName()) && args != null && args.length == 1 && proxy == args[0];
            };
            final Object handler = Proxy.newProxyInstance(HangUpSignal.class.getClassLoader(),
                new Class<?>[] {handlerClass}, onSignal);
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            return true;
        } catch (final ReflectiveOperationException | IllegalArgumentException | LinkageError e) {
            return false;
        }
    }
}
