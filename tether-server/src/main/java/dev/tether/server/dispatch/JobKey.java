package dev.tether.server.dispatch;

/**
 * What a change of a job's state needs of the job: which it is, whose, and the state it was read in (the
 * compare-and-set of {@link JobTransitions}). A whole {@link JobRecord} is one; so is the narrower
 * {@link JobHead} that an agent's reports read.
 */
interface JobKey {

    String id();

    String commandId();

    String agentId();

    JobState state();
}
