/**
 * The connection state machine: {@link dev.weir.conn.ConnectionSlot} (one per table entry, reused for every
 * connection it serves) and its {@link dev.weir.conn.ConnectionState} constants, each naming the owning stage.
 */
package dev.weir.conn;
