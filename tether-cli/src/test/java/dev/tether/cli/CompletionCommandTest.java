package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tether completion}: the bash script is checked by a real bash ({@code bash -n}), then sourced and its
 * completion function asked for candidates, as bash does when Tab is pressed.
 */
class CompletionCommandTest {

    /**
     * Sources the script, then calls the function registered for tether with COMP_WORDS set to the words given.
     * compopt (which only sets display options) works only while bash itself completes: a no-op stands in.
     */
    private static final String COMPLETE = """
            source "$1" || exit 3
            compopt() { :; }
            shift
            spec=$(complete -p tether) || exit 4
            fn=${spec#*-F }; fn=${fn%% *}
            COMP_WORDS=(tether "$@"); COMP_CWORD=$#; COMP_LINE="tether $*"; COMP_POINT=${#COMP_LINE}
            "$fn" tether "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """;

    @TempDir
    Path dir;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void theBashScriptIsValidBash() throws Exception {
        Path script = script("bash");

        Result checked = bash("-n", script.toString());

        assertThat(checked.exit()).as(checked.output()).isZero();
        assertThat(checked.output()).isEmpty();
    }

    @Test
    void sourcedInBashItCompletesCommandsSubcommandsAndFlags() throws Exception {
        Path script = script("bash");

        assertThat(candidates(script, "ag")).containsExactlyInAnyOrder("agent", "agents");
        assertThat(candidates(script, "agents", "l")).containsExactlyInAnyOrder("ls", "label");
        assertThat(candidates(script, "agents", "ls", "--pro")).containsExactly("--profile");
        assertThat(candidates(script, "login", "--ca")).containsExactly("--ca-file");
        assertThat(candidates(script, "completion", "")).containsExactlyInAnyOrder("bash", "zsh");
    }

    @Test
    void theZshScriptLoadsBashcompinitAndCompletesTheSameCommands() throws Exception {
        Path zsh = script("zsh");

        assertThat(Files.readString(zsh)).contains("$ZSH_VERSION", "bashcompinit");
        assertThat(candidates(zsh, "prof")).containsExactly("profiles");
    }

    @Test
    void anUnknownShellIsAUsageError() {
        int exit = run("completion", "fish");

        assertThat(exit).isEqualTo(ErrorReporter.USAGE);
        assertThat(err.toString()).contains("Invalid value for positional parameter at index 0 (SHELL): "
                + "expected one of [bash, zsh]");
        assertThat(out.toString()).isEmpty();
    }

    private Path script(String shell) throws IOException {
        assertThat(run("completion", shell)).as(err.toString()).isZero();
        return Files.writeString(dir.resolve("tether-" + shell), out.toString());
    }

    private List<String> candidates(Path script, String... words) throws Exception {
        List<String> args = new ArrayList<>(List.of("-c", COMPLETE, "complete-test", script.toString()));
        args.addAll(List.of(words));
        Result result = bash(args.toArray(String[]::new));
        assertThat(result.exit()).as(result.output()).isZero();
        return result.output().lines().filter(line -> !line.isBlank()).map(String::strip).toList();
    }

    private record Result(int exit, String output) {
    }

    private Result bash(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", "--noprofile", "--norc"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile()).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), output);
    }

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return Main.commandLine(Map.of(), args).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute(args);
    }
}
