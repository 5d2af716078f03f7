package dev.tether.bench.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A text table for the terminal: a header row, then rows, columns padded to
 * their widest cell, text left-aligned and numbers right-aligned. Also renders
 * as a Markdown table for {@code docs/benchmarks.md}. Not thread safe.
 */
public final class Table {

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    private Table(List<String> header) {
        this.header = header;
    }

    public static Table of(String... header) {
        return new Table(List.of(header));
    }

    /** Adds a row; cells are shown with {@link #cell}. */
    public Table row(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, the header " + header.size());
        }
        rows.add(Arrays.stream(cells).map(Table::cell).toList());
        return this;
    }

    public List<List<String>> rows() {
        return List.copyOf(rows);
    }

    /** Numbers with at most two decimals and thousands separators; null as a dash. */
    public static String cell(Object value) {
        return switch (value) {
            case null -> "-";
            case Double d when d.isNaN() -> "-";
            case Double d when Math.abs(d) >= 100 || d == Math.rint(d) -> String.format(Locale.ROOT, "%,.0f", d);
            case Double d -> String.format(Locale.ROOT, "%,.2f", d);
            case Long l -> String.format(Locale.ROOT, "%,d", l);
            case Integer i -> String.format(Locale.ROOT, "%,d", i);
            default -> value.toString();
        };
    }

    /** The table for a terminal. */
    public String render() {
        int[] widths = widths();
        StringBuilder out = new StringBuilder();
        line(out, header, widths);
        StringBuilder rule = new StringBuilder();
        for (int w : widths) {
            rule.append("-".repeat(w)).append("  ");
        }
        out.append(rule.toString().stripTrailing()).append('\n');
        for (List<String> row : rows) {
            line(out, row, widths);
        }
        return out.toString();
    }

    /** The table in GitHub Markdown. */
    public String markdown() {
        StringBuilder out = new StringBuilder("| ").append(String.join(" | ", header)).append(" |\n|");
        for (int i = 0; i < header.size(); i++) {
            out.append(i == 0 ? "---|" : "---:|");
        }
        out.append('\n');
        for (List<String> row : rows) {
            out.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        return out.toString();
    }

    private int[] widths() {
        int[] widths = new int[header.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = header.get(i).length();
            for (List<String> row : rows) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        return widths;
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            String pad = " ".repeat(widths[i] - cell.length());
            line.append(i > 0 && numeric(cell) ? pad + cell : cell + pad).append("  ");
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    private static boolean numeric(String cell) {
        return !cell.isEmpty() && (Character.isDigit(cell.charAt(0)) || cell.charAt(0) == '-'
                || (cell.charAt(0) == '~' && cell.length() > 1));
    }
}
