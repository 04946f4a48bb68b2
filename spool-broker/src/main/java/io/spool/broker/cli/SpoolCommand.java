package io.spool.broker.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code spool} command line. Subcommands do the work; {@code bin/spool} runs this class.
 * Settings come from flags, then {@code SPOOL_*} environment variables, then a config file,
 * then defaults ({@link SettingsProvider}).
 */
@Command(name = "spool", mixinStandardHelpOptions = true, versionProvider = SpoolCommand.VersionProvider.class,
        description = "Spool: a message broker and background-job system that speaks AMQP 0-9-1.",
        subcommands = {ServerCommand.class, PolicyCommand.class, CommandLine.HelpCommand.class})
public final class SpoolCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new SpoolCommand());
        try {
            cli.setDefaultValueProvider(new SettingsProvider(args, System.getenv()));
        } catch (CommandLine.ParameterException e) {
            // A usage error like any other: one line and picocli's exit code for bad usage.
            System.err.println("spool: " + e.getMessage());
            System.exit(cli.getCommandSpec().exitCodeOnInvalidInput());
        }
        System.exit(cli.execute(args));
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"Spool " + io.spool.broker.Version.VERSION};
        }
    }
}
