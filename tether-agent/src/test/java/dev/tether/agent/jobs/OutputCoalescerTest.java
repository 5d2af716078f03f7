package dev.tether.agent.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.JobOutput;
import dev.tether.protocol.v1.JobOutput.Stream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class OutputCoalescerTest {

    private final List<List<Envelope>> published = new CopyOnWriteArrayList<>();
    private final OutputCoalescer output = new OutputCoalescer("job-1", published::add);

    private List<JobOutput> chunks() {
        return published.stream().flatMap(List::stream).map(e -> e.getJobEvent().getOutput()).toList();
    }

    private void write(Stream stream, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        output.write(stream, bytes, 0, bytes.length);
    }

    @Test
    void smallWritesOfOneStreamAreMergedUntilAFlush() {
        write(Stream.STDOUT, "a");
        write(Stream.STDOUT, "b");
        assertThat(published).isEmpty();

        output.flush();

        assertThat(chunks()).singleElement().satisfies(c -> {
            assertThat(c.getStream()).isEqualTo(Stream.STDOUT);
            assertThat(c.getData().toStringUtf8()).isEqualTo("ab");
        });
        assertThat(published.get(0).get(0).getJobEvent().getJobId()).isEqualTo("job-1");
    }

    @Test
    void aSwitchOfStreamStartsANewChunkSoTheInterleavingIsKept() {
        write(Stream.STDOUT, "1");
        write(Stream.STDERR, "2");
        write(Stream.STDOUT, "3");
        output.flush();

        assertThat(chunks()).extracting(c -> c.getStream() + ":" + c.getData().toStringUtf8())
                .containsExactly("STDOUT:1", "STDERR:2", "STDOUT:3");
        assertThat(published).hasSize(1);
    }

    @Test
    void aFullChunkIsPublishedAtOnceAndLargeWritesAreSplit() {
        byte[] big = new byte[OutputCoalescer.CHUNK_BYTES * 2 + 10];

        output.write(Stream.STDOUT, big, 0, big.length);

        assertThat(chunks()).extracting(c -> c.getData().size())
                .containsExactly(OutputCoalescer.CHUNK_BYTES, OutputCoalescer.CHUNK_BYTES, 10);
    }

    @Test
    void theCapCutsTheOutputAddsOneMarkerAndDropsTheRest() {
        byte[] block = new byte[1024 * 1024];
        for (int i = 0; i < 17; i++) {
            output.write(Stream.STDOUT, block, 0, block.length);
        }
        write(Stream.STDERR, "later");
        output.close();

        List<JobOutput> chunks = chunks();
        JobOutput last = chunks.get(chunks.size() - 1);
        assertThat(last.getData().toStringUtf8()).isEqualTo(OutputCoalescer.TRUNCATED_MARKER);
        assertThat(chunks.subList(0, chunks.size() - 1).stream().mapToLong(c -> c.getData().size()).sum())
                .isEqualTo(OutputCoalescer.CAP_BYTES);
        assertThat(chunks).filteredOn(c -> c.getStream() == Stream.STDERR).isEmpty();
        assertThat(output.totalBytes()).isEqualTo(OutputCoalescer.CAP_BYTES);
    }

    @Test
    void nothingIsPublishedAfterClose() {
        write(Stream.STDOUT, "x");
        output.close();
        write(Stream.STDOUT, "y");
        output.flush();

        assertThat(chunks()).extracting(c -> c.getData().toStringUtf8()).containsExactly("x");
    }
}
