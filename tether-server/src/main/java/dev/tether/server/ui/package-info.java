/**
 * The web UI as the server serves it: {@link dev.tether.server.ui.WebAssets} reads the files the Vite
 * build (tether-server/src/main/web) put on the class path, {@link dev.tether.server.ui.UiHandler} serves
 * them at {@code /} with caching and security headers and the single-page app's fallback. The UI talks
 * to the REST API under {@code /api/v1} with a session cookie ({@link dev.tether.server.auth.BrowserAuth}).
 */
package dev.tether.server.ui;
