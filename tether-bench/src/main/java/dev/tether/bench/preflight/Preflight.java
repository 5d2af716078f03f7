package dev.tether.bench.preflight;

import java.io.IOException;
import dev.tether.bench.probe.ProcFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the limits that bind a run of N simulated agents on this machine and
 * says what to raise: open files per process (each agent is one socket in the
 * server and one in a generator), the ephemeral port range (one port per
 * connection per source address), and memory. Run before every scenario.
 * Immutable and thread safe.
 */
public final class Preflight {

    /** Files a server process needs besides agent sockets: jars, database, WAL, epoll, logs, REST clients. */
    public static final int SERVER_RESERVED_FILES = 500;
    /** Files a generator process needs besides agent sockets. */
    public static final int GENERATOR_RESERVED_FILES = 300;
    /** Fraction of a source address's ephemeral ports the bench plans to use, leaving room for TIME_WAIT. */
    static final double PORT_USE = 0.7;
    /** Rough memory needs, for the warning only: server and generators per agent, and fixed costs. */
    static final long SERVER_BYTES_PER_AGENT = 48 * 1024;
    static final long GENERATOR_BYTES_PER_AGENT = 16 * 1024;
    static final long FIXED_BYTES = 1024L * 1024 * 1024;

    private final Limits limits;

    private Preflight(Limits limits) {
        this.limits = limits;
    }

    /** Reads this machine's limits. */
    public static Preflight read() throws IOException {
        return new Preflight(Limits.read(Path.of("/proc")));
    }

    public static Preflight of(Limits limits) {
        return new Preflight(limits);
    }

    public Limits limits() {
        return limits;
    }

    /** The most agents one server process can hold with this open-files limit. */
    public int maxAgentsPerServer() {
        return (int) Math.max(0, limits.openFilesSoft() - SERVER_RESERVED_FILES);
    }

    /** The most agents one generator process can simulate. */
    public int maxAgentsPerGenerator() {
        return (int) Math.max(1, limits.openFilesSoft() - GENERATOR_RESERVED_FILES);
    }

    /** Ephemeral ports usable per loopback source address. */
    public int portsPerSourceAddress() {
        return (int) ((limits.portRangeHigh() - limits.portRangeLow() + 1) * PORT_USE);
    }

    /** Fleets above this size are split over at least two generator processes, to keep each well inside its limits. */
    public static final int SPLIT_ABOVE_AGENTS = 10_000;

    /**
     * Generator processes needed for {@code agents}: enough for the open-files
     * limit, and two above {@link #SPLIT_ABOVE_AGENTS}.
     */
    public int generatorsFor(int agents) {
        int needed = (agents + maxAgentsPerGenerator() - 1) / maxAgentsPerGenerator();
        return Math.max(needed, agents > SPLIT_ABOVE_AGENTS ? 2 : 1);
    }

    /**
     * Loopback source addresses (127.0.0.2 ...) to spread {@code agents} over:
     * enough for the port range, and never fewer than two, so a run does not
     * depend on one address's ports.
     */
    public int sourceAddressesFor(int agents) {
        return Math.max(2, (agents + portsPerSourceAddress() - 1) / portsPerSourceAddress());
    }

    /** Checks a plan; every failed check names the limit and how to raise it. */
    public Report check(int agents, int generators) {
        List<Check> checks = new ArrayList<>();
        checks.add(new Check("open files per server process", limits.openFilesSoft(),
                agents + SERVER_RESERVED_FILES, agents <= maxAgentsPerServer(),
                "one server process holds at most " + maxAgentsPerServer() + " agents with 'Max open files' "
                        + limits.openFilesSoft() + " (hard " + limits.openFilesHard() + "); raise it with "
                        + "'ulimit -n' (up to the hard limit), LimitNOFILE= in systemd, or nofile in "
                        + "/etc/security/limits.conf, or run fewer agents"));
        int perGenerator = (agents + generators - 1) / Math.max(1, generators);
        checks.add(new Check("open files per generator process", limits.openFilesSoft(),
                perGenerator + GENERATOR_RESERVED_FILES, perGenerator <= maxAgentsPerGenerator(),
                "split the fleet over more generators: --generators " + generatorsFor(agents)));
        long ports = limits.portRangeHigh() - limits.portRangeLow() + 1;
        checks.add(new Check("ephemeral ports per source address", ports, Math.min(agents, ports),
                true, "connections are spread over " + sourceAddressesFor(agents)
                        + " loopback source addresses (127.0.0.2 ...); widen with "
                        + "sysctl -w net.ipv4.ip_local_port_range='1024 65000'"));
        long memoryNeed = FIXED_BYTES + agents * (SERVER_BYTES_PER_AGENT + GENERATOR_BYTES_PER_AGENT);
        checks.add(new Check("available memory (MiB)", limits.memAvailableBytes() >> 20, memoryNeed >> 20,
                limits.memAvailableBytes() >= memoryNeed,
                "free memory or run fewer agents: the server, " + generators
                        + " generator(s) and the peer need about " + memoryNeed / (1024 * 1024) + " MiB"));
        checks.add(new Check("system-wide open files (fs.file-max)", limits.fileMax(),
                3L * agents + 10_000, limits.fileMax() >= 3L * agents + 10_000,
                "sysctl -w fs.file-max=" + (4L * agents + 100_000)));
        return new Report(agents, generators, checks);
    }

    /**
     * Checks a plan of {@code agents} spread evenly over {@code nodes} server processes (a cluster): like
     * {@link #check}, with the open-files check made per node.
     */
    public Report checkCluster(int agents, int nodes, int generators) {
        Report whole = check(agents, generators);
        if (nodes <= 1) {
            return whole;
        }
        int perNode = (agents + nodes - 1) / nodes;
        List<Check> checks = new ArrayList<>(whole.checks());
        checks.set(0, new Check("open files per server process (" + nodes + " nodes)", limits.openFilesSoft(),
                perNode + SERVER_RESERVED_FILES, perNode <= maxAgentsPerServer(),
                "one node holds at most " + maxAgentsPerServer() + " agents with 'Max open files' "
                        + limits.openFilesSoft() + "; raise it with 'ulimit -n' (hard limit "
                        + limits.openFilesHard() + "), or run at most " + (long) maxAgentsPerServer() * nodes
                        + " agents over " + nodes + " nodes"));
        return new Report(agents, generators, checks);
    }

    /**
     * The limits, as read from {@code /proc}.
     *
     * @param openFilesSoft "Max open files" soft limit of this process (inherited by the processes it starts)
     */
    public record Limits(long openFilesSoft, long openFilesHard, long portRangeLow, long portRangeHigh,
            long memTotalBytes, long memAvailableBytes, long fileMax, int cpus) {

        static Limits read(Path proc) throws IOException {
            long[] files = openFiles(ProcFile.read(proc.resolve("self/limits")));
            String[] range = ProcFile.read(proc.resolve("sys/net/ipv4/ip_local_port_range")).trim()
                    .split("\\s+");
            String meminfo = ProcFile.read(proc.resolve("meminfo"));
            long fileMax = Long.parseLong(ProcFile.read(proc.resolve("sys/fs/file-max")).trim());
            return new Limits(files[0], files[1], Long.parseLong(range[0]), Long.parseLong(range[1]),
                    meminfoKib(meminfo, "MemTotal:") * 1024, meminfoKib(meminfo, "MemAvailable:") * 1024,
                    fileMax, Runtime.getRuntime().availableProcessors());
        }

        /** Soft and hard "Max open files" from a {@code /proc/PID/limits} text; "unlimited" as Long.MAX_VALUE. */
        static long[] openFiles(String limitsText) {
            for (String line : limitsText.split("\n")) {
                if (line.startsWith("Max open files")) {
                    String[] words = line.substring("Max open files".length()).trim().split("\\s+");
                    return new long[] {limit(words[0]), limit(words[1])};
                }
            }
            throw new IllegalArgumentException("no 'Max open files' line in /proc/self/limits");
        }

        private static long limit(String word) {
            return "unlimited".equals(word) ? Long.MAX_VALUE : Long.parseLong(word);
        }

        static long meminfoKib(String meminfo, String key) {
            for (String line : meminfo.split("\n")) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
            return 0;
        }
    }

    /** One limit: what there is, what the run needs, and how to raise it when short. */
    public record Check(String name, long have, long need, boolean ok, String advice) {
    }

    /** Every check of one plan. */
    public record Report(int agents, int generators, List<Check> checks) {

        public boolean ok() {
            return checks.stream().allMatch(Check::ok);
        }

        public List<Check> failures() {
            return checks.stream().filter(c -> !c.ok()).toList();
        }

        public String render() {
            StringBuilder out = new StringBuilder("preflight for " + agents + " agents over " + generators
                    + " generator process(es):\n");
            for (Check c : checks) {
                out.append(String.format("  %-4s %-40s have %,d, need %,d%n", c.ok() ? "ok" : "FAIL", c.name(),
                        c.have(), c.need()));
                if (!c.ok() || c.name().startsWith("ephemeral")) {
                    out.append("       ").append(c.advice()).append('\n');
                }
            }
            return out.toString();
        }

        public Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("agents", agents);
            json.put("generators", generators);
            List<Object> list = new ArrayList<>();
            for (Check c : checks) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("name", c.name());
                one.put("have", c.have());
                one.put("need", c.need());
                one.put("ok", c.ok());
                list.add(one);
            }
            json.put("checks", list);
            return json;
        }
    }
}
