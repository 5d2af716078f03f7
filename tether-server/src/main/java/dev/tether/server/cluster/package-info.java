/**
 * Cluster mode: the server nodes sharing one PostgreSQL database. Nodes find each other in the {@code nodes}
 * table, each holding a lease it renews ({@link dev.tether.server.cluster.Membership}); the agents held by a
 * node whose lease expired go offline; a node wakes the node holding an agent with {@code LISTEN/NOTIFY}
 * ({@link dev.tether.server.cluster.NotifyBus}); periodic work runs on the node holding an advisory lock
 * ({@link dev.tether.server.cluster.Leadership}). A single node, on SQLite or PostgreSQL, is the same code
 * with one member. See {@code docs/cluster.md}.
 */
package dev.tether.server.cluster;
