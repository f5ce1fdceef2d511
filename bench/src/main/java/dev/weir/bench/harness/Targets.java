package dev.weir.bench.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the targets: command lines and generated configuration files that make nginx and HAProxy
 * equivalent to Weir (as many workers or threads as Weir has stage threads, upstream keep-alive, HTTP/1.1 to the
 * origin, X-Forwarded-For added, no access log), Weir once more with its access log on ({@code weir-log}), and
 * two Weir processes sharing a port ({@code weir-reuseport}).
 */
final class Targets {

    static final long PROXY_READY_MS = 15_000;
    static final long WEIR_READY_MS = 60_000;

    /** Name (and {@code --targets} entry) of Weir with its access log on: what logging costs, beside {@code weir}. */
    static final String WEIR_LOG = "weir-log";
    /** The file the {@code weir-log} target appends to, in the run's temporary directory. */
    static final String WEIR_LOG_FILE = "weir-access.log";

    /** Name (and {@code --targets} entry) of the second Weir build measured with {@code --baseline PATH}. */
    static final String WEIR_BASELINE = "weir-baseline";

    /** Name (and {@code --targets} entry) of two single-threaded Weir processes sharing one port. */
    static final String WEIR_REUSEPORT = "weir-reuseport";
    /** The line each Weir process prints once it serves. */
    static final String WEIR_READY_MARKER = "weir ready:";

    /** The configuration a proxy runs with: worker threads (or processes) and connection limits. */
    static final class Shape {
        /** nginx {@code worker_processes}, HAProxy {@code nbthread}, Weir's parse/upstream/write threads. */
        final int threads;
        /** nginx {@code worker_connections}. */
        final int nginxWorkerConnections;
        /** HAProxy {@code maxconn}, or 0 to leave it out (HAProxy then derives it from {@code ulimit -n}). */
        final int haproxyMaxconn;

        Shape(final int threads, final int nginxWorkerConnections, final int haproxyMaxconn) {
            this.threads = threads;
            this.nginxWorkerConnections = nginxWorkerConnections;
            this.haproxyMaxconn = haproxyMaxconn;
        }

        /** @return Weir's flags for this many stage threads; none for one (its shipped configuration). */
        List<String> weirFlags() {
            if (threads == 1) {
                return List.of();
            }
            return List.of("--set", "parse.threads=" + threads, "--set", "upstream.threads=" + threads, "--set",
                "write.threads=" + threads);
        }
    }

    /** The comparison's shape on one core: limits far above the 50 connections measured. */
    static final Shape COMPARE = new Shape(1, 4096, 4096);

    private Targets() {
    }

    static Target direct() {
        return new Target("direct", "direct", null, List.of(), 0);
    }

    static Target weir(final Path weir, final int originPort, final List<String> pin, final String key,
        final String value, final boolean yaml, final Path tmp, final Shape shape) throws IOException {
        final List<String> cmd = withAdmin(weirCommand(weir, originPort, pin));
        cmd.addAll(shape.weirFlags());
        String name = "weir";
        if (key != null) {
            name = "weir[" + key + "=" + value + "]";
            if (yaml) {
                final Path config = tmp.resolve("weir-" + key + "-" + value + ".yaml");
                Files.writeString(config, yamlOverride(key, value), StandardCharsets.UTF_8);
                cmd.addAll(List.of("--config", config.toString()));
            } else {
                cmd.addAll(List.of("--set", key + "=" + value));
            }
        }
        return new Target(name, "weir", value, cmd, WEIR_READY_MS).directory(checkoutOf(weir));
    }

    /**
     * The same Weir as {@link #weir} with its access log on, combined format, to a file in {@code tmp} (a real file
     * on the run's file system, written by Weir's log thread, which is pinned with the proxy).
     */
    static Target weirLog(final Path weir, final int originPort, final List<String> pin, final Path tmp,
        final Shape shape) {
        final List<String> cmd = withAdmin(weirCommand(weir, originPort, pin));
        cmd.addAll(shape.weirFlags());
        cmd.addAll(List.of("--set", "access-log.path=" + tmp.resolve(WEIR_LOG_FILE), "--set",
            "access-log.format=combined"));
        return new Target(WEIR_LOG, "weir", null, cmd, WEIR_READY_MS).directory(checkoutOf(weir));
    }

    /**
     * This build runs as an operator would: its admin listener on (any free loopback port), so the rows measure
     * Weir with its metrics served. The stages count for the metrics whether or not the listener is on.
     */
    private static List<String> withAdmin(final List<String> cmd) {
        cmd.addAll(List.of("--set", "admin.listen=127.0.0.1:0"));
        return cmd;
    }

    /**
     * A second Weir build, e.g. the previous main, started with the same flags as {@link #weir} (stats lines
     * included) and, like it, in its own checkout: the two differ in their code and their {@code conf/weir.yaml}.
     *
     * @param launcher the other checkout's {@code bin/weir}.
     */
    static Target weirBaseline(final Path launcher, final int originPort, final List<String> pin,
        final Shape shape) {
        final List<String> cmd = weirCommand(launcher, originPort, pin);
        cmd.addAll(shape.weirFlags());
        return new Target(WEIR_BASELINE, "weir", null, cmd, WEIR_READY_MS).directory(checkoutOf(launcher));
    }

    /**
     * Two Weir processes with the shipped (single-threaded) stages on one port, {@code accept.reuse-port=true}:
     * the kernel spreads connections over them, and nothing is shared between them; the other way for Weir to use
     * two cores.
     */
    static Target weirReusePort(final Path weir, final int originPort, final List<String> pin) {
        final List<String> cmd = withAdmin(weirCommand(weir, originPort, pin));
        cmd.addAll(List.of("--set", "accept.reuse-port=true"));
        return new Target(WEIR_REUSEPORT, "weir", null, cmd, WEIR_READY_MS).directory(checkoutOf(weir))
            .instances(2, WEIR_READY_MARKER);
    }

    /**
     * Weir reads {@code conf/weir.yaml} from its working directory before its own home, so each build runs in its
     * own checkout and reads its own configuration, not whatever the harness's working directory holds (an older
     * build refuses keys it does not know).
     *
     * @param launcher a checkout's {@code bin/weir}.
     * @return the checkout, or null when the launcher does not sit two levels below an existing directory.
     */
    static Path checkoutOf(final Path launcher) {
        final Path bin = launcher.toAbsolutePath().normalize().getParent();
        final Path checkout = bin == null ? null : bin.getParent();
        return checkout != null && Files.isDirectory(checkout) ? checkout : null;
    }

    private static List<String> weirCommand(final Path launcher, final int originPort, final List<String> pin) {
        final List<String> cmd = new ArrayList<>(pin);
        cmd.addAll(List.of(launcher.toString(), "--listen", "127.0.0.1:{PORT}", "--upstream",
            "127.0.0.1:" + originPort, "--stats-interval", WeirStats.INTERVAL_ARGUMENT));
        return cmd;
    }

    /** @return YAML setting one dotted key, e.g. {@code parse.buffer: 16k} as nested maps. */
    static String yamlOverride(final String key, final String value) {
        final String[] parts = key.split("\\.");
        final StringBuilder sb = new StringBuilder("# generated by bench/run --sweep\n");
        for (int i = 0; i < parts.length; i++) {
            sb.append("  ".repeat(i)).append(parts[i]).append(':');
            sb.append(i == parts.length - 1 ? " " + value + "\n" : "\n");
        }
        return sb.toString();
    }

    static Target nginx(final int originPort, final List<String> pin, final Path tmp, final Shape shape)
        throws IOException {
        final Path dir = Files.createDirectories(tmp.resolve("nginx"));
        final Path conf = dir.resolve("nginx.conf");
        final String config = String.join("\n",
            "# generated by bench/run: upstream keep-alive, equivalent to Weir",
            "worker_processes " + shape.threads + ";",
            "daemon off;",
            "pid " + dir.resolve("nginx.pid") + ";",
            "error_log " + dir.resolve("error.log") + " warn;",
            "events { worker_connections " + shape.nginxWorkerConnections + "; }",
            "http {",
            "  access_log off;",
            "  keepalive_requests 1000000;",
            "  keepalive_timeout 65s;",
            "  client_body_temp_path " + dir.resolve("client_body") + ";",
            "  proxy_temp_path " + dir.resolve("proxy") + ";",
            "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";",
            "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";",
            "  scgi_temp_path " + dir.resolve("scgi") + ";",
            "  upstream origin {",
            "    server 127.0.0.1:" + originPort + ";",
            "    keepalive 256;",
            "    keepalive_requests 1000000;",
            "  }",
            "  server {",
            "    listen 127.0.0.1:{PORT};",
            "    location / {",
            "      proxy_pass http://origin;",
            "      proxy_http_version 1.1;",
            "      proxy_set_header Connection \"\";",
            "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "      proxy_max_temp_file_size 0;",
            // Stream request bodies as Weir and HAProxy do, instead of spooling them to temp files (which the
            // worker, running as nobody under a root harness, may not even be allowed to open).
            "      proxy_request_buffering off;",
            "    }",
            "  }",
            "}", "");
        final Path template = dir.resolve("nginx.conf.template");
        Files.writeString(template, config, StandardCharsets.UTF_8);
        final List<String> cmd = new ArrayList<>(pin);
        cmd.addAll(List.of("nginx", "-p", dir.toString(), "-c", conf.toString()));
        return new Target("nginx", "nginx", null, cmd, PROXY_READY_MS).config(template, conf);
    }

    static Target haproxy(final int originPort, final List<String> pin, final Path tmp, final Shape shape)
        throws IOException {
        final Path conf = tmp.resolve("haproxy.cfg");
        final String config = String.join("\n",
            "# generated by bench/run: http mode, keep-alive to the server, equivalent to Weir",
            "global",
            "  nbthread " + shape.threads,
            shape.haproxyMaxconn > 0 ? "  maxconn " + shape.haproxyMaxconn : "  # maxconn: HAProxy's default",
            "defaults",
            "  mode http",
            "  option http-keep-alive",
            "  option forwardfor",
            "  http-reuse always",
            "  timeout connect 5s",
            "  timeout client 60s",
            "  timeout server 60s",
            "frontend bench",
            "  bind 127.0.0.1:{PORT}",
            "  default_backend origin",
            "backend origin",
            "  server origin 127.0.0.1:" + originPort,
            "");
        final Path template = tmp.resolve("haproxy.cfg.template");
        Files.writeString(template, config, StandardCharsets.UTF_8);
        final List<String> cmd = new ArrayList<>(pin);
        cmd.addAll(List.of("haproxy", "-db", "-f", conf.toString()));
        return new Target("haproxy", "haproxy", null, cmd, PROXY_READY_MS).config(template, conf);
    }
}
