package io.spool.broker.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/**
 * Supplies option values that were not given as flags: first from the environment
 * ({@code --amqp-port} reads {@code SPOOL_AMQP_PORT}), then from the config file named by
 * {@code --config} or {@code SPOOL_CONFIG} (a properties file with lines like
 * {@code amqp-port = 5673}). Whatever neither gives falls back to the option's default.
 */
final class SettingsProvider implements CommandLine.IDefaultValueProvider {

    private final Map<String, String> env;
    private final Properties file = new Properties();

    SettingsProvider(String[] args, Map<String, String> env) {
        this.env = env;
        String path = configPath(args, env);
        if (path != null) {
            try (Reader r = Files.newBufferedReader(Path.of(path))) {
                file.load(r);
            } catch (IOException e) {
                throw new CommandLine.ParameterException(new CommandLine(new SpoolCommand()),
                        "cannot read config file " + path + ": "
                                + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()));
            }
        }
    }

    private static String configPath(String[] args, Map<String, String> env) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith("--config=")) {
                return args[i].substring("--config=".length());
            }
        }
        return env.get("SPOOL_CONFIG");
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec spec) {
        if (!(spec instanceof CommandLine.Model.OptionSpec option) || option.usageHelp() || option.versionHelp()) {
            // --help and --version are actions, not settings: SPOOL_VERSION=1.2 in an image's
            // environment must not turn into a bad value for --version.
            return null;
        }
        String longName = option.longestName().replaceFirst("^--", "");
        if (longName.equals("config")) {
            return null;
        }
        String fromEnv = env.get("SPOOL_" + longName.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (fromEnv != null) {
            return fromEnv;
        }
        String fromFile = file.getProperty(longName);
        return fromFile != null ? fromFile.trim() : null;
    }
}
