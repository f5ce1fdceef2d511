/**
 * The access log: a capture of each request head on the parse stage thread, one record per exchange that ends
 * claimed by the finishing stage thread in an Agrona {@code ManyToOneRingBuffer} over the committed {@code log}
 * arena, and one thread ({@code weir-access-log}) that formats the records (common, combined or JSON lines) and
 * appends them to the file. A full ring drops the record and counts it; the stages never wait for the log.
 * <pre>
 *   parse --capture--> slot regions      stage threads --tryClaim/commit--> ring --read--> log thread --> file
 * </pre>
 */
package dev.weir.log;
