package dev.tether.server.dispatch;

import dev.tether.server.dispatch.JobOutputStore.Chunk;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a command's (or one job's) output and job states in order, pass by
 * pass, for a follower: each {@link #next} returns what is new since the last
 * one, every job's output before that job's state, and says when everything is
 * final and read. Output is read per job from where the follower is, so a chunk
 * committed late is never skipped.
 *
 * <p>Blocking; not thread safe: one follower calls it, one pass at a time.
 */
public final class OutputFollow {

    /** Chunks read per job per pass at most. */
    static final int MAX_CHUNKS_PER_READ = 1000;

    private final JobStore jobs;
    private final JobOutputStore output;
    private final String commandId;
    private final String jobId;
    /** Per job: the idx of the next chunk to read. */
    private final Map<String, Long> nextChunk = new HashMap<>();
    /** Per job: the last state handed out. */
    private final Map<String, JobState> shownState = new HashMap<>();

    /**
     * @param jobId follow only this job of the command, or null for all of them
     * @param fromChunk for a single job: the first chunk to read (resuming); 0 from the beginning
     */
    public OutputFollow(JobStore jobs, JobOutputStore output, String commandId, String jobId, long fromChunk) {
        this.jobs = jobs;
        this.output = output;
        this.commandId = commandId;
        this.jobId = jobId;
        if (jobId != null) {
            nextChunk.put(jobId, fromChunk);
        }
    }

    /** Something read: a chunk of a job's output, or a job's new state ({@code chunk} null). */
    public record Item(JobRecord job, Chunk chunk) {
    }

    /**
     * @param items in order
     * @param done every job is final and all of it has been handed out
     */
    public record Pass(List<Item> items, boolean done) {
    }

    /** What is new, up to about {@code maxBytes} of output. */
    public Pass next(long maxBytes) {
        List<JobRecord> current = jobId == null ? jobs.forCommand(commandId)
                : jobs.find(jobId).map(List::of).orElse(List.of());
        List<Item> items = new ArrayList<>();
        long budget = maxBytes;
        boolean done = true;
        for (JobRecord job : current) {
            long next = nextChunk.getOrDefault(job.id(), 0L);
            if (next < job.outputChunks() && budget > 0) {
                for (Chunk chunk : output.read(job.id(), next, budget, MAX_CHUNKS_PER_READ)) {
                    items.add(new Item(job, chunk));
                    budget -= chunk.data().length;
                    next = chunk.idx() + 1;
                }
                nextChunk.put(job.id(), next);
            }
            boolean caughtUp = next >= job.outputChunks();
            if (caughtUp && shownState.get(job.id()) != job.state()) {
                shownState.put(job.id(), job.state());
                items.add(new Item(job, null));
            }
            done &= caughtUp && job.state().isFinal();
        }
        return new Pass(items, done && !current.isEmpty());
    }
}
