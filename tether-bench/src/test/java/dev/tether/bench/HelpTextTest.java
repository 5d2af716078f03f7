package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every {@code tether bench} command's help renders without picocli's warnings: a description is a format
 * string, so a lone {@code %} (as in "5 % above") makes picocli print a warning and the raw text instead.
 */
class HelpTextTest {

    @Test
    void everyCommandsHelpRendersCleanly() {
        PrintStream stderr = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        StringWriter help = new StringWriter();
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        try {
            render(BenchCommand.commandLine(), new PrintWriter(help));
        } finally {
            System.setErr(stderr);
        }
        assertThat(warnings.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(help.toString().replaceAll("\\s+", " ")).contains("--intake-rate", "5 % above the 20,000/s target");
    }

    private static void render(CommandLine line, PrintWriter out) {
        line.usage(out);
        out.flush();
        line.getSubcommands().values().forEach(sub -> render(sub, out));
    }
}
