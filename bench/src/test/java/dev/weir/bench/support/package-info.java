/**
 * Test fixtures shared by the bench tests: a raw-socket HTTP client, a generated pattern upload with its
 * SHA-256, {@code bin/weir} as a child process, its resident set from {@code /proc}, and a TCP relay that
 * counts origin connections.
 */
package dev.weir.bench.support;
