package io.weir.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A table of text with aligned columns; columns whose header is in {@link #rightAligned} are padded on the left. */
final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();
    private final boolean[] right;

    Table(String... headers) {
        this.headers = List.of(headers);
        this.right = new boolean[headers.length];
    }

    /** Right-align the columns at these indexes (numbers). */
    Table rightAligned(int... columns) {
        for (int c : columns) {
            right[c] = true;
        }
        return this;
    }

    Table row(Object... cells) {
        List<String> r = new ArrayList<>();
        for (Object c : cells) {
            r.add(c == null ? "" : String.valueOf(c));
        }
        rows.add(r);
        return this;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    void print(PrintWriter out, String indent) {
        int[] width = new int[headers.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = headers.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], i < r.size() ? r.get(i).length() : 0);
            }
        }
        if (headers.stream().anyMatch(h -> !h.isEmpty())) {
            line(out, indent, headers, width); // a table of key/value lines has no header
        }
        for (List<String> r : rows) {
            line(out, indent, r, width);
        }
    }

    private void line(PrintWriter out, String indent, List<String> cells, int[] width) {
        StringBuilder b = new StringBuilder(indent);
        for (int i = 0; i < width.length; i++) {
            String c = i < cells.size() ? cells.get(i) : "";
            boolean last = i == width.length - 1;
            if (right[i]) {
                b.append(" ".repeat(width[i] - c.length())).append(c);
            } else {
                b.append(c);
                if (!last) {
                    b.append(" ".repeat(width[i] - c.length()));
                }
            }
            if (!last) {
                b.append("  ");
            }
        }
        out.println(b.toString().stripTrailing());
    }
}
