package dev.tether.agent.shell;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The C library calls {@link PtyReader} makes, bound by JNA's direct mapping
 * (a static native method per call: no proxy, no reflection and no argument
 * conversion per call, unlike the interface mapping pty4j uses). Each throws
 * {@link LastErrorException} carrying {@code errno} when the call returns -1.
 *
 * <p>{@code size_t}, {@code ssize_t} and {@code nfds_t} are {@link NativeLong}s:
 * the width of a C {@code long} on every Unix the agent runs on.
 *
 * <p>Thread safe: the calls share no state.
 */
final class Libc {

    static final int EINTR = 4;
    /** {@code struct pollfd} event bits, the same on Linux, the BSDs and macOS. */
    static final short POLLIN = 0x1;
    /** {@code struct pollfd { int fd; short events; short revents; }}. */
    static final int POLLFD_BYTES = 8;
    static final int POLLFD_EVENTS = 4;
    static final int POLLFD_REVENTS = 6;

    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    private Libc() {
    }

    static native int poll(Pointer fds, NativeLong nfds, int timeoutMillis) throws LastErrorException;

    static native NativeLong read(int fd, Pointer buffer, NativeLong count) throws LastErrorException;

    static native NativeLong write(int fd, byte[] buffer, NativeLong count) throws LastErrorException;

    static native int pipe(int[] fds) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;
}
