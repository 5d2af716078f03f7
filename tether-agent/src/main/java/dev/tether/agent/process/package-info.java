/**
 * What jobs and shells share about the processes the agent starts: finding out
 * whether a program can run ({@link dev.tether.agent.process.Programs}), keeping
 * the agent key out of their environment
 * ({@link dev.tether.agent.process.ChildEnvironment}), and stopping a process
 * group with its children ({@link dev.tether.agent.process.ProcessGroup}).
 */
package dev.tether.agent.process;
