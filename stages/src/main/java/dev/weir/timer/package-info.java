/**
 * Deadlines without allocation: {@link dev.weir.timer.TimerWheel}, one per stage thread, keyed by slot index.
 */
package dev.weir.timer;
