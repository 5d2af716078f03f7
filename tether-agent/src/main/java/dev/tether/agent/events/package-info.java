/** Agent events: what makes one valid, and the lifecycle events the agent publishes itself. */
package dev.tether.agent.events;
