/** Text decoding shared by the job output API and shell recordings. */
package dev.tether.server.text;
