/**
 * Byte-level HTTP/1.1 helpers shared by the demo origin and the load generator: head scanning into
 * offset flyweights, chunked-body decoding, decimal and hex writing, and the deterministic body pattern.
 * <p>
 * Nothing here allocates after construction; every method works on caller-owned {@code byte[]} ranges.
 */
package dev.weir.bench.http;
