package dev.weir.bench.harness;

import java.util.List;
import java.util.Map;

/**
 * A minimal JSON writer for the harness's results: maps, lists, strings, numbers, booleans and null
 * (NaN and infinities become null). Indented, keys in insertion order.
 */
final class Json {

    private Json() {
    }

    static String write(final Object value) {
        final StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.append('\n').toString();
    }

    private static void write(final StringBuilder sb, final Object v, final int indent) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Map) {
            final Map<?, ?> m = (Map<?, ?>) v;
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{\n");
            int i = 0;
            for (final Map.Entry<?, ?> e : m.entrySet()) {
                sb.append("  ".repeat(indent + 1));
                string(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                write(sb, e.getValue(), indent + 1);
                sb.append(++i < m.size() ? ",\n" : "\n");
            }
            sb.append("  ".repeat(indent)).append('}');
        } else if (v instanceof List) {
            final List<?> l = (List<?>) v;
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (l.get(i) instanceof Map) {
                    sb.append('\n').append("  ".repeat(indent + 1));
                }
                write(sb, l.get(i), indent + 1);
                sb.append(i + 1 < l.size() ? ", " : "");
            }
            sb.append(']');
        } else if (v instanceof Double || v instanceof Float) {
            final double d = ((Number) v).doubleValue();
            sb.append(Double.isNaN(d) || Double.isInfinite(d) ? "null" : Double.toString(d));
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else {
            string(sb, v.toString());
        }
    }

    private static void string(final StringBuilder sb, final String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }
}
