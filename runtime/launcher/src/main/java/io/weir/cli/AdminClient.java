package io.weir.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

/** A connection to a running runtime's admin socket: one JSON object per line each way. */
public final class AdminClient implements AutoCloseable {
    private final Path dataDir;
    private final SocketChannel channel;
    private final BufferedReader in;

    private AdminClient(Path dataDir, SocketChannel channel) {
        this.dataDir = dataDir;
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    /**
     * Connect to the runtime serving {@code dataDir}.
     *
     * @throws WeirException {@link ExitCode#NOT_REACHABLE} when none answers
     */
    public static AdminClient connect(Path dataDir) throws WeirException {
        Path socket = DataDirOption.socketOf(dataDir);
        if (!Files.exists(socket)) {
            throw notRunning(dataDir);
        }
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new AdminClient(dataDir, channel);
        } catch (IOException e) {
            closeQuietly(channel);
            String m = String.valueOf(e.getMessage());
            if (e instanceof AccessDeniedException || m.contains("Permission denied")) {
                throw new WeirException(ExitCode.NOT_REACHABLE, "cannot reach the runtime of data dir " + dataDir
                        + ": permission denied on " + socket + " (it belongs to another user)");
            }
            throw notRunning(dataDir);
        }
    }

    /** Whether a runtime answers on {@code dataDir}'s admin socket. */
    public static boolean answers(Path dataDir) {
        try (AdminClient c = connect(dataDir)) {
            return c.call(op("status"), null).get("ok").getAsBoolean();
        } catch (WeirException | RuntimeException e) {
            return e instanceof RemoteException;
        }
    }

    static WeirException notRunning(Path dataDir) {
        return new WeirException(ExitCode.NOT_REACHABLE, "no runtime is running for data dir " + dataDir
                + " (start one with 'weir run')");
    }

    /** A request object for {@code op}. */
    public static JsonObject op(String op) {
        JsonObject o = new JsonObject();
        o.addProperty("op", op);
        return o;
    }

    /**
     * Send {@code request} and return the successful response. Lines streamed before it ({@code progress}) go to
     * {@code progress} when not null.
     *
     * @throws RemoteException {@link ExitCode#RUNTIME_ERROR} when the runtime answers with an error
     * @throws WeirException   {@link ExitCode#NOT_REACHABLE} when the connection breaks
     */
    public JsonObject call(JsonObject request, Consumer<JsonObject> progress) throws WeirException {
        try {
            ByteBuffer bytes = ByteBuffer.wrap((request.toString() + "\n").getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new WeirException(ExitCode.NOT_REACHABLE, "the runtime of data dir " + dataDir
                            + " closed the connection without answering (is it stopping?)");
                }
                JsonElement e = JsonParser.parseString(line);
                if (!e.isJsonObject()) {
                    throw new WeirException(ExitCode.RUNTIME_ERROR, "the runtime answered something that is not a JSON object: " + cut(line));
                }
                JsonObject o = e.getAsJsonObject();
                if (o.has("progress") && !o.has("ok")) {
                    if (progress != null) {
                        progress.accept(o.getAsJsonObject("progress"));
                    }
                    continue;
                }
                if (o.has("ok") && o.get("ok").getAsBoolean()) {
                    return o;
                }
                String code = o.has("code") ? o.get("code").getAsString() : "UNKNOWN";
                String error = o.has("error") ? o.get("error").getAsString() : "the runtime reported a failure without a message";
                throw new RemoteException(code, error, o);
            }
        } catch (IOException e) {
            throw new WeirException(ExitCode.NOT_REACHABLE, "lost the connection to the runtime of data dir " + dataDir + ": "
                    + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException | ClassCastException e) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "the runtime sent a malformed response: " + e.getMessage(), e);
        }
    }

    private static String cut(String s) {
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

    /** An error response from the runtime: exit code {@link ExitCode#RUNTIME_ERROR}. */
    public static final class RemoteException extends WeirException {
        private static final long serialVersionUID = 1L;

        private final String code;
        private final transient JsonObject response;

        RemoteException(String code, String message, JsonObject response) {
            super(ExitCode.RUNTIME_ERROR, message);
            this.code = code;
            this.response = response;
        }

        /** The protocol's error code, e.g. {@code NOT_FOUND}. */
        public String code() {
            return code;
        }

        /** The whole error response (an {@code io} failure carries its {@code result}). */
        public JsonObject response() {
            return response;
        }
    }
}
