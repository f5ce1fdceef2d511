/**
 * The Weir command ({@link dev.weir.Weir}): configuration, memory plan and host checks, then the pipeline.
 */
package dev.weir;
