/**
 * End-to-end tests ({@code *IT}, run by failsafe): real sockets on 127.0.0.1 through an in-process pipeline
 * or a {@code bin/weir} process in front of the demo origin. Every class uses {@link
 * dev.weir.bench.system.WeirExtension}, which checks after each test that nothing leaked.
 */
package dev.weir.bench.system;
