/** The audit log: who did what to which agent, when and from where. */
package dev.tether.server.audit;
