/** Trusting a private CA for the connection to the server. */
package dev.tether.agent.tls;
