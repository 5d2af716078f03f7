/** The shell broker: relays terminal clients to agent PTY sessions, with flow control, re-attach, audit and recording. */
package dev.tether.server.shell;
