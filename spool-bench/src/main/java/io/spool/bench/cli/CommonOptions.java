package io.spool.bench.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every benchmark driver takes (a picocli mixin): the checkout it measures, which
 * its script passes as {@code --spool-home} and {@code --revision}, where the report and the
 * logs go, and {@code --help}.
 */
public final class CommonOptions {

    @Option(names = "--results", paramLabel = "DIR",
            description = {"where the markdown report goes", "  Default: spool-bench/results of --spool-home"})
    private Path resultsDir;

    @Option(names = "--work", paramLabel = "DIR",
            description = {"where this run's logs go", "  Default: spool-bench/target/<tool>/<run> of --spool-home"})
    private Path workDir;

    @Option(names = "--spool-home", paramLabel = "DIR", defaultValue = ".",
            description = "the checkout whose bin/spool starts Spool (the script passes its own)")
    private Path spoolHome;

    @Option(names = "--revision", paramLabel = "REV", defaultValue = "unknown",
            description = "what is measured, for the report (the script passes the commit)")
    private String revision;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
    private boolean helpRequested;

    public Path spoolHome() {
        return spoolHome.toAbsolutePath().normalize();
    }

    public String revision() {
        return revision;
    }

    /** {@code --results}, else the checkout's spool-bench/results. */
    public Path resultsDir() {
        return resultsDirOr(spoolHome().resolve("spool-bench/results"));
    }

    /** {@code --results}, else {@code unlessGiven}. */
    public Path resultsDirOr(Path unlessGiven) {
        return resultsDir != null ? resultsDir : unlessGiven;
    }

    /** {@code --work}, else the checkout's spool-bench/target/{@code tool}/{@code runId}. */
    public Path workDir(String tool, String runId) {
        return workDir != null ? workDir : spoolHome().resolve("spool-bench/target").resolve(tool).resolve(runId);
    }
}
