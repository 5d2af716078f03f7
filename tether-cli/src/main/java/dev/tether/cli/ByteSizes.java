package dev.tether.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;

/** Parses sizes written as bytes ({@code 4096}) or with a binary suffix: {@code 64k}, {@code 256m}, {@code 1g}. */
public final class ByteSizes implements ITypeConverter<Long> {

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,15})([kmg]?)(i?b)?");

    @Override
    public Long convert(String value) {
        return parse(value);
    }

    public static long parse(String value) {
        Matcher m = FORMAT.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size '" + value
                    + "': write a number of bytes, or a number and k, m or g, e.g. 4096, 64k or 256m");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "k" -> amount << 10;
            case "m" -> amount << 20;
            case "g" -> amount << 30;
            default -> amount;
        };
    }
}
