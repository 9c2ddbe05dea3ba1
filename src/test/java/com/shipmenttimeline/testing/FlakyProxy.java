package com.shipmenttimeline.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy in front of the test PostgreSQL that can drop a connection the way a network does:
 * armed, it cuts the next connection whose client sends COMMIT, either before the COMMIT reaches
 * the server (the transaction cannot have committed) or after the server got it but before the
 * client sees the answer (it did commit, and the client cannot know). It can also refuse new
 * connections, or cut the one that sends a given word.
 */
public final class FlakyProxy implements AutoCloseable {
    public enum Cut {
        /** The COMMIT never reaches the server. */
        BEFORE_COMMIT,
        /** The server gets the COMMIT; its answer never reaches the client. */
        AFTER_COMMIT
    }

    private static final byte[] COMMIT = "COMMIT".getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket server;
    private final int targetPort;
    private final AtomicReference<Cut> armed = new AtomicReference<>();
    private final AtomicReference<byte[]> armedWord = new AtomicReference<>();
    private final AtomicInteger cuts = new AtomicInteger();
    private final AtomicInteger toRefuse = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();

    public FlakyProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "flaky-proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The test PostgreSQL's JDBC URL, through this proxy. */
    public String jdbcUrl(String direct) {
        return direct.replace("localhost:" + targetPort + "/", "127.0.0.1:" + port() + "/").replace(":" + targetPort + "/", ":" + port() + "/");
    }

    public void arm(Cut cut) {
        armed.set(cut);
    }

    /** Cuts the next connection whose client sends these bytes (a table name in a statement, say), before they reach the server. */
    public void armOn(String word) {
        armedWord.set(word.getBytes(StandardCharsets.US_ASCII));
    }

    /** The next {@code n} connections are closed as soon as they are accepted, as a network that is down would. */
    public void refuseNext(int n) {
        toRefuse.set(n);
    }

    /** How many connections were refused. */
    public int refused() {
        return refused.get();
    }

    /** How many connections were cut. */
    public int cuts() {
        return cuts.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (toRefuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    refused.incrementAndGet();
                    client.close();
                    continue;
                }
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                Pair pair = new Pair(client, upstream);
                start(() -> pair.clientToServer(), "flaky-proxy-up");
                start(() -> pair.serverToClient(), "flaky-proxy-down");
            } catch (IOException e) {
                // closed, or the server refused: the client sees its connection fail
            }
        }
    }

    private static void start(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private final class Pair {
        final Socket client;
        final Socket upstream;
        volatile boolean swallowAnswers;

        Pair(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void clientToServer() {
            byte[] buf = new byte[65536];
            try (InputStream in = client.getInputStream(); OutputStream out = upstream.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    byte[] word = armedWord.get();
                    if (word != null && contains(buf, n, word) && armedWord.compareAndSet(word, null)) {
                        sever();
                        return;
                    }
                    Cut cut = contains(buf, n, COMMIT) ? armed.getAndSet(null) : null;
                    if (cut == Cut.BEFORE_COMMIT) {
                        sever();
                        return;
                    }
                    if (cut == Cut.AFTER_COMMIT) {
                        swallowAnswers = true;
                        out.write(buf, 0, n);
                        out.flush();
                        Thread.sleep(500); // the server reads and commits
                        sever();
                        return;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // a side closed
            }
            closeQuietly();
        }

        void serverToClient() {
            byte[] buf = new byte[65536];
            try (InputStream in = upstream.getInputStream(); OutputStream out = client.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (!swallowAnswers) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // a side closed
            }
            closeQuietly();
        }

        void sever() {
            cuts.incrementAndGet();
            closeQuietly();
        }

        void closeQuietly() {
            for (Socket s : new Socket[] {client, upstream}) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }
    }

    static boolean contains(byte[] buf, int n, byte[] word) {
        outer:
        for (int i = 0; i + word.length <= n; i++) {
            for (int j = 0; j < word.length; j++) {
                if (buf[i + j] != word[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
