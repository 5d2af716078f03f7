/**
 * Text from agents: decoding output for the job output API and shell recordings, and making the text agents
 * supply storable ({@link dev.tether.server.text.AgentText}).
 */
package dev.tether.server.text;
