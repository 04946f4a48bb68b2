package io.spool.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Reads a benchmark driver's command line into its picocli-annotated command object, the same
 * way for every driver: usage with the options in the order they are declared and their
 * defaults shown, and the conventions the driver scripts rely on.
 */
public final class DriverCommandLine {

    private DriverCommandLine() {}

    /**
     * {@code command} with {@code args} read into it. Bad input is an IllegalArgumentException
     * with picocli's message, which names the option at fault.
     */
    public static <C> C read(C command, String[] args) {
        try {
            commandLine(command).parseArgs(args);
        } catch (ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return command;
    }

    /**
     * {@link #read} for a driver's {@code main}: {@code --help} prints the usage and exits 0; bad
     * input prints what is wrong and the usage to stderr and exits 2, before anything is measured.
     */
    public static <C> C readOrExit(C command, String[] args) {
        CommandLine cli = commandLine(command);
        try {
            cli.parseArgs(args);
        } catch (ParameterException e) {
            System.err.println(cli.getCommandName() + ": " + e.getMessage());
            UnmatchedArgumentException.printSuggestions(e, System.err);
            cli.usage(System.err);
            System.exit(cli.getCommandSpec().exitCodeOnInvalidInput());
        }
        if (cli.isUsageHelpRequested()) {
            cli.usage(System.out);
            System.exit(cli.getCommandSpec().exitCodeOnUsageHelp());
        }
        return command;
    }

    private static CommandLine commandLine(Object command) {
        CommandLine cli = new CommandLine(command)
                // The scripts pass --spool-home and --revision before the user's arguments: an
                // option given twice takes its last value instead of failing.
                .setOverwrittenOptionsAllowed(true)
                // Flags are lower case (--brokers spool, --only heap), enum constants upper case.
                .setCaseInsensitiveEnumValuesAllowed(true)
                // A value such as a JVM @argfile in --spool-java-opts is passed on, not read here.
                .setExpandAtFiles(false);
        cli.getCommandSpec().usageMessage().abbreviateSynopsis(true).sortOptions(false).showDefaultValues(true);
        return cli;
    }
}
