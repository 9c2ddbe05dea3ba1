package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.jobs.config.UsageException;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local default's warehouse: a real PostgreSQL server that this program starts from the
 * binaries on its classpath, with its data in a folder that persists across runs. When a server is
 * already listening on the port (a previous run that was killed, or a second run at once), it is
 * used as it is and left running.
 */
public final class EmbeddedWarehouseServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedWarehouseServer.class);

    private final EmbeddedPostgres server;
    private final int port;

    private EmbeddedWarehouseServer(EmbeddedPostgres server, int port) {
        this.server = server;
        this.port = port;
    }

    public static EmbeddedWarehouseServer start(String dataDir, int port) {
        String url = jdbcUrl(port);
        if (listening(port)) {
            try (Connection c = DriverManager.getConnection(url)) {
                LOG.info("embedded warehouse: using the PostgreSQL server already running on 127.0.0.1:{}", port);
                return new EmbeddedWarehouseServer(null, port);
            } catch (SQLException e) {
                throw new UsageException("port " + port + " is taken by something that is not our PostgreSQL; set timeline.warehouse.embedded.port");
            }
        }
        File dir = new File(dataDir).getAbsoluteFile();
        boolean fresh = !new File(dir, "postgresql.conf").exists();
        try {
            long t0 = System.nanoTime();
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "100")
                    .start();
            LOG.info("embedded warehouse: PostgreSQL {} on 127.0.0.1:{}, data in {} ({} ms)",
                    fresh ? "initialised and started" : "started", port, dir, (System.nanoTime() - t0) / 1_000_000);
            return new EmbeddedWarehouseServer(pg, port);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot start the embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
        }
    }

    public static String jdbcUrl(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }

    public String jdbcUrl() {
        return jdbcUrl(port);
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the server if this process started it. */
    @Override
    public void close() {
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                LOG.warn("embedded warehouse: stop failed: {}", e.getMessage());
            }
        }
    }
}
