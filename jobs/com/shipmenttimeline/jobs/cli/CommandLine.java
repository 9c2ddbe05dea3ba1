package com.shipmenttimeline.jobs.cli;

import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.run.Mode;
import com.shipmenttimeline.jobs.run.RunRequest;
import com.shipmenttimeline.schemas.SqlDialect;
import java.util.List;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * A parsed command line: what the run is asked ({@link RunRequest}), and what only the launcher
 * uses (the conf file, the overrides, the query and DDL flags). picocli parses it
 * ({@link ModeCommands}: a subcommand a mode); the runbook's {@code --mode X} form means the same.
 */
public record CommandLine(RunRequest request, SqlDialect dialect, String sql, String confFile, List<String> overrides) {

    public Mode mode() {
        return request.mode();
    }

    /** {@code timeline --help}; {@code docs/usage.txt} holds the same text for {@code ./timeline --help} before a build. */
    public static final String USAGE = helpOf(ModeCommands.tree());

    public static CommandLine parse(String[] args) {
        picocli.CommandLine tree = ModeCommands.tree();
        ParseResult root;
        try {
            root = tree.parseArgs(ModeCommands.modeFirst(args));
        } catch (ParameterException e) {
            throw new UsageException(ModeCommands.explain(e));
        }
        ParseResult mode = root.hasSubcommand() ? root.subcommand() : null;
        if (root.isVersionHelpRequested() || (mode != null && mode.isVersionHelpRequested())) {
            throw new HelpRequested(String.join("\n", tree.getCommandSpec().version()));
        }
        if (root.isUsageHelpRequested() || (mode != null && mode.isUsageHelpRequested())) {
            throw new HelpRequested(mode == null ? USAGE : helpOf(mode.commandSpec().commandLine()));
        }
        if (mode == null) {
            throw new UsageException("a mode is required: timeline MODE [options] (or --mode MODE); one of " + Mode.names());
        }
        return ((ModeCommands.ModeCommand) mode.commandSpec().userObject()).line();
    }

    private static String helpOf(picocli.CommandLine line) {
        return line.getUsageMessage(Ansi.OFF).stripTrailing();
    }

    /** Thrown by {@code --help} and {@code --version}: the launcher prints the text and exits 0. */
    public static final class HelpRequested extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public HelpRequested(String text) {
            super(text, null, false, false);
        }

        public String text() {
            return getMessage();
        }
    }
}
