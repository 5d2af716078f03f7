/** Host metrics reported in heartbeats. */
package dev.tether.agent.metrics;
