/** Well-formedness checks for JSON documents and the agent's own small JSON objects (streaming, no data binding). */
package dev.tether.agent.json;
