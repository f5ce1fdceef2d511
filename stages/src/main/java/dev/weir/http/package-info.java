/**
 * HTTP/1.1 without allocation: request and response head parsers over Chronicle stores, flyweight heads of
 * offsets, the chunked-body scanner, the forwarded-head rewriter and the canned error responses.
 */
package dev.weir.http;
