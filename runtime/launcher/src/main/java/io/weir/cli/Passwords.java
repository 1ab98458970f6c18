package io.weir.cli;

import java.io.Console;

/**
 * Keystore passwords for the PKI and signing commands: from an environment variable (for scripts), else asked
 * on the terminal without echo. Never from the command line, where other users of the machine could read it.
 */
final class Passwords {
    /** The vendor PKI's keystore ({@code weir pki ...}, {@code weir sign --pki}). */
    static final String PKI_ENV = "WEIR_PKI_PASSWORD";
    /** A signer's own keystore ({@code weir pki issue-partner} writes it, {@code weir sign --key} reads it). */
    static final String KEY_ENV = "WEIR_KEY_PASSWORD";

    private Passwords() {
    }

    /** The password from {@code env}, else from the terminal (twice when {@code confirm}). */
    static char[] get(String env, String prompt, boolean confirm) throws WeirException {
        String value = System.getenv(env);
        if (value != null && !value.isEmpty()) {
            return value.toCharArray();
        }
        Console console = System.console();
        if (console == null) {
            throw new WeirException(ExitCode.USAGE, prompt + ": set $" + env + " or run in a terminal to be asked");
        }
        char[] first = console.readPassword("%s: ", prompt);
        if (first == null || first.length == 0) {
            throw new WeirException(ExitCode.USAGE, "an empty password is not allowed");
        }
        if (confirm) {
            char[] again = console.readPassword("%s (again): ", prompt);
            if (again == null || !java.util.Arrays.equals(first, again)) {
                throw new WeirException(ExitCode.USAGE, "the passwords differ");
            }
        }
        return first;
    }
}
