package io.weir.admin;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** A raw line client of the admin socket, for tests. */
final class TestClient implements AutoCloseable {
    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;
    /** Progress lines seen before the last response. */
    final List<JsonObject> progress = new ArrayList<>();

    TestClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        out = Channels.newOutputStream(channel);
    }

    /** Send {@code line} plus a newline and return the response (progress lines are collected). */
    JsonObject call(String line) throws IOException {
        send((line + "\n").getBytes(StandardCharsets.UTF_8));
        return response();
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    JsonObject response() throws IOException {
        progress.clear();
        while (true) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed before a response");
            }
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has("progress")) {
                progress.add(o.getAsJsonObject("progress"));
            } else {
                return o;
            }
        }
    }

    /** The next raw line, or null when the server closed the connection. */
    String readLine() throws IOException {
        return in.readLine();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
