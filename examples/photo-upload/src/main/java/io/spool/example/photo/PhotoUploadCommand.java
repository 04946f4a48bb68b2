package io.spool.example.photo;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code photo-upload web|worker}: the two kinds of process of the example. {@code bin/spool demo}
 * starts one web app and two workers next to a broker.
 */
@Command(name = "photo-upload", mixinStandardHelpOptions = true,
        description = "The Spool photo upload example: a web app and its workers.",
        subcommands = {WebCommand.class, WorkerCommand.class, CommandLine.HelpCommand.class})
public final class PhotoUploadCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new PhotoUploadCommand()).execute(args));
    }
}
