/**
 * Test fixtures shared by the bench tests: a raw-socket HTTP client.
 */
package dev.weir.bench.support;
