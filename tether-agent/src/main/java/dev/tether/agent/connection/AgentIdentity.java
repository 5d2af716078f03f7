package dev.tether.agent.connection;

import com.google.protobuf.ByteString;
import dev.tether.protocol.ProtocolVersion;
import dev.tether.protocol.v1.Envelope;
import dev.tether.protocol.v1.Hello;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What this agent process says about itself in every Hello.
 *
 * @param version the agent's version
 * @param bootId random per process start
 * @param hostname the host's name
 * @param os {@code os.name}
 * @param arch {@code os.arch}
 * @param labels the configured labels
 */
public record AgentIdentity(String version, String bootId, String hostname, String os, String arch,
        Map<String, String> labels) {

    private static final Path KERNEL_HOSTNAME = Path.of("/proc/sys/kernel/hostname");

    /** The highest server seq this agent applied and the stamp its payload carried, for Hello. */
    public record AppliedPoint(long seq, long stamp) {
    }

    public static AgentIdentity detect(String version, String bootId, Map<String, String> labels) {
        return new AgentIdentity(version, bootId, localHostname(), System.getProperty("os.name", ""),
                System.getProperty("os.arch", ""), Map.copyOf(labels));
    }

    /** The kernel's host name where there is one: unlike getLocalHost() it needs no DNS lookup. */
    private static String localHostname() {
        try {
            String name = Files.readString(KERNEL_HOSTNAME).trim();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException e) {
            // Not Linux: ask the JDK.
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * The Hello for a new connection (live, seq 0).
     *
     * @param applied the highest server seq applied and its payload's stamp
     * @param capabilities what this agent can do, e.g. {@code cmd:exec} for each command type it runs
     * @param shellSessions the 16-byte ids of the shell sessions a server may re-attach to
     */
    public Envelope hello(long configVersion, AppliedPoint applied, long resumeAgentSeq, List<String> capabilities,
            List<ByteString> shellSessions) {
        return Envelope.newBuilder()
                .setHello(Hello.newBuilder()
                        .setAgentVersion(version)
                        .setProtocolMin(ProtocolVersion.MIN)
                        .setProtocolMax(ProtocolVersion.MAX)
                        .setHostname(hostname)
                        .setOs(os)
                        .setArch(arch)
                        .putAllLabels(labels)
                        .addAllCapabilities(capabilities)
                        .setConfigVersion(configVersion)
                        .setAppliedServerSeq(applied.seq())
                        .setAppliedServerStamp(applied.stamp())
                        .setResumeAgentSeq(resumeAgentSeq)
                        .addAllShellSessions(shellSessions)
                        .setBootId(bootId))
                .build();
    }
}
