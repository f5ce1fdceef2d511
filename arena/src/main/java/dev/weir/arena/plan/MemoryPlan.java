package dev.weir.arena.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The whole memory requirement of one process, row by row, computed before anything is allocated.
 * <p>
 * The total is the sum of every {@link PlanItem.Kind#COMMITTED}, {@link PlanItem.Kind#CAP} and
 * {@link PlanItem.Kind#KERNEL} row; {@link PlanItem.Kind#IN_HEAP} rows explain part of the heap row and are
 * not added again.
 * <p>
 * <b>Note:</b> immutable and thread-safe.
 */
public final class MemoryPlan {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    private static final int COMPONENT_WIDTH = 18;
    private static final int BYTES_WIDTH = 14;
    private static final int HUMAN_WIDTH = 11;
    private static final int KIND_WIDTH = 10;

    private final List<PlanItem> rows;
    private final long totalBytes;
    private final long committedBytes;

    /**
     * @param rows the rows in display order.
     * @throws ArithmeticException when the total overflows a long; a sizing bug.
     */
    public MemoryPlan(final List<PlanItem> rows) {
        this.rows = Collections.unmodifiableList(new ArrayList<>(rows));
        long total = 0;
        long committed = 0;
        for (int i = 0; i < this.rows.size(); i++) {
            final PlanItem row = this.rows.get(i);
            if (row.kind().countsInTotal()) {
                total = Math.addExact(total, row.bytes());
            }
            if (row.kind() == PlanItem.Kind.COMMITTED) {
                committed = Math.addExact(committed, row.bytes());
            }
        }
        this.totalBytes = total;
        this.committedBytes = committed;
    }

    /** @return the rows in display order; unmodifiable. */
    public List<PlanItem> rows() {
        return rows;
    }

    /** @return the plan total in bytes: every row except the informational in-heap ones. */
    public long totalBytes() {
        return totalBytes;
    }

    /** @return bytes committed (written) inside the process at startup: the sum of the committed rows. */
    public long committedBytes() {
        return committedBytes;
    }

    /**
     * @param kind a kind of row.
     * @return the sum of the rows of that kind, in bytes.
     */
    public long bytesOf(final PlanItem.Kind kind) {
        long sum = 0;
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).kind() == kind) {
                sum += rows.get(i).bytes();
            }
        }
        return sum;
    }

    /**
     * @param component a component name.
     * @return the row of that name.
     * @throws IllegalArgumentException when there is none.
     */
    public PlanItem row(final String component) {
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).component().equals(component)) {
                return rows.get(i);
            }
        }
        throw new IllegalArgumentException("no plan row " + component);
    }

    /**
     * The plan as a fixed-width table: component, bytes, human units, kind, how it was computed; then the
     * total line and the committed-in-process line.
     *
     * @return the table, lines separated by {@code \n}, ending with a newline.
     */
    public String render() {
        final StringBuilder body = new StringBuilder(2048);
        for (int i = 0; i < rows.size(); i++) {
            final PlanItem row = rows.get(i);
            line(body, row.component(), Long.toString(row.bytes()), human(row.bytes()), row.kind().label(),
                row.detail());
        }
        final StringBuilder total = new StringBuilder(256);
        line(total, "total", Long.toString(totalBytes), human(totalBytes), "",
            "committed " + human(committedBytes) + " + caps " + human(bytesOf(PlanItem.Kind.CAP))
                + " + kernel " + human(bytesOf(PlanItem.Kind.KERNEL)));
        final StringBuilder out = new StringBuilder(body.length() + 1024);
        line(out, "component", "bytes", "size", "kind", "computed as");
        int width = total.length() - 1;
        for (final String l : body.toString().split("\n")) {
            width = Math.max(width, l.length());
        }
        final String rule = "-".repeat(width) + "\n";
        out.append(rule).append(body).append(rule).append(total);
        return out.toString();
    }

    private static void line(final StringBuilder out, final String component, final String bytes,
        final String human, final String kind, final String detail) {
        pad(out, component, COMPONENT_WIDTH, false);
        out.append(' ');
        pad(out, bytes, BYTES_WIDTH, true);
        out.append(' ');
        pad(out, human, HUMAN_WIDTH, true);
        out.append("  ");
        pad(out, kind, KIND_WIDTH, false);
        out.append(' ').append(detail);
        int end = out.length();
        while (end > 0 && out.charAt(end - 1) == ' ') {
            end--;
        }
        out.setLength(end);
        out.append('\n');
    }

    private static void pad(final StringBuilder out, final String text, final int width, final boolean right) {
        final int spaces = Math.max(0, width - text.length());
        if (right) {
            out.append(" ".repeat(spaces)).append(text);
        } else {
            out.append(text).append(" ".repeat(spaces));
        }
    }

    /**
     * Format a byte count in binary units with one decimal, e.g. {@code 16.0 KiB}, {@code 1.5 GiB}.
     *
     * @param bytes a byte count, zero or more.
     * @return the count in the largest unit in which it is at least 1.
     */
    public static String human(final long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }
}
