/** Applying configuration from the server exactly once, and telling the SDK's listeners. */
package dev.tether.agent.config;
