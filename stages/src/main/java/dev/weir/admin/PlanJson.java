package dev.weir.admin;

import dev.weir.arena.plan.MemoryPlan;
import dev.weir.arena.plan.PlanItem;

/**
 * The memory plan as JSON, for {@code GET /plan}:
 * <pre>
 * {"total_bytes":N,"committed_bytes":N,"rows":[{"component":"arena parse","kind":"committed","bytes":N,
 *   "counts_in_total":true,"detail":"..."}, ...]}
 * </pre>
 * A dozen fields of text and numbers do not need a JSON library; strings are escaped per RFC 8259.
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class PlanJson {

    private PlanJson() {
    }

    /**
     * @param plan the plan.
     * @return it as one JSON object, without a trailing newline.
     */
    public static String of(final MemoryPlan plan) {
        final StringBuilder json = new StringBuilder(1024);
        json.append("{\"total_bytes\":").append(plan.totalBytes())
            .append(",\"committed_bytes\":").append(plan.committedBytes())
            .append(",\"rows\":[");
        boolean first = true;
        for (final PlanItem row : plan.rows()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            json.append("{\"component\":");
            string(json, row.component());
            json.append(",\"kind\":");
            string(json, row.kind().label());
            json.append(",\"bytes\":").append(row.bytes())
                .append(",\"counts_in_total\":").append(row.kind().countsInTotal())
                .append(",\"detail\":");
            string(json, row.detail());
            json.append('}');
        }
        return json.append("]}").toString();
    }

    private static void string(final StringBuilder json, final String text) {
        json.append('"');
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20) {
                json.append(String.format("\\u%04x", (int) c));
            } else {
                json.append(c);
            }
        }
        json.append('"');
    }
}
