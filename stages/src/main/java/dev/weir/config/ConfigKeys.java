package dev.weir.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

import dev.weir.arena.BlockPool;
import dev.weir.http.RequestPolicy;

/**
 * The one table of configuration keys: name as written in {@code conf/weir.yaml}, type, unit, default and
 * meaning, plus the {@code DEFAULT_*} and limit constants that {@link WeirConfig.Builder} starts from and
 * validates against.
 * <p>
 * The defaults make a laptop-sized plan (about 650 MiB in total, of which 133 MiB is committed in the
 * process): 1024 connections with a 20 KiB request buffer and a 48 KiB response buffer (68 MiB of arenas),
 * a 64 MiB heap, and socket buffers that bound the kernel's share (about 360 MiB for 2049 sockets: a client
 * and an origin socket per slot, and the listening socket).
 * {@code conf/weir.yaml} and the README mirror this table; a test checks that the file holds every key with
 * its default.
 * <p>
 * <b>Note:</b> stateless and thread-safe.
 */
public final class ConfigKeys {

    /**
     * Room the upstream block needs beyond the parse block: the forwarded head gains X-Forwarded-For and the
     * other forwarding fields. A head whose host is repeated in them (X-Forwarded-Host, Forwarded) may still
     * outgrow it and is then answered 431.
     */
    public static final int FORWARDED_HEAD_MARGIN_BYTES = 1024;

    /** Where the proxy listens: loopback and a port that needs no privilege. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:8080";
    /** Pending connections the kernel queues before accept; the common Linux {@code somaxconn}. */
    public static final int DEFAULT_ACCEPT_BACKLOG = 1024;
    /**
     * {@code SO_REUSEPORT} off: one process owns its port, and a second one on the same port fails to start
     * instead of silently taking half of its connections.
     */
    public static final boolean DEFAULT_ACCEPT_REUSE_PORT = false;
    /**
     * Longest a connection waits in the listen backlog while every slot is taken before the backlog is answered
     * 503: long enough for keep-alive clients to finish and free slots (a burst passes), short enough that a
     * waiting client gets an answer before common client timeouts (2 s and up) give up on it.
     */
    public static final long DEFAULT_ACCEPT_QUEUE_TIMEOUT_MS = 1_000;
    /**
     * Idle time after which a keep-alive connection may give its slot to a connection waiting in the listen
     * backlog: far above the gap between a busy client's response and its next request (micro- to milliseconds),
     * so only connections that really idle are closed and a busy client's next request never meets the close;
     * far below {@code accept.queue-timeout}, so the waiting connection is seated instead of shed.
     */
    public static final long DEFAULT_ACCEPT_RECLAIM_IDLE_AFTER_MS = 100;
    /** Connection slots: enough for a busy laptop, small enough that the arenas stay at 68 MiB. */
    public static final int DEFAULT_CONNECTIONS = 1024;
    /**
     * Ring entries; 0 picks the smallest power of two at least 2 x {@code connections}: a slot may sit in the
     * upstream stage's inbox twice, once for its request half and once for its response half.
     */
    public static final int DEFAULT_RING_SIZE = 0;
    /** One parse thread: parsing a head is short next to the system calls around it. */
    public static final int DEFAULT_PARSE_THREADS = 1;
    /**
     * Request buffer per connection, and so the largest request head (nginx's large header buffer is 8 KiB). 20 KiB
     * holds a head and a 16 KiB body, so such an upload reaches the origin in one write instead of a full block and
     * a few bytes: 11 % more POST 16 KiB requests/s and 18 % less CPU per request than 16 KiB, for 4 MiB more plan
     * at 1024 connections (docs/PERFORMANCE.md, "Uploads: one write per 16 KiB body").
     */
    public static final int DEFAULT_PARSE_BUFFER_BYTES = 20 * 1024;
    /**
     * Longest request line, CRLF excluded: nginx's {@code large_client_header_buffers} allows 8k per line. It is
     * read into the parse block, so at most {@code parse.buffer}; when not set and {@code parse.buffer} is
     * smaller, the whole buffer.
     */
    public static final int DEFAULT_MAX_REQUEST_LINE_BYTES = RequestPolicy.DEFAULT_MAX_REQUEST_LINE_BYTES;
    /** Shortest request line limit: {@code OPTIONS * HTTP/1.1} and a little. */
    public static final int MIN_REQUEST_LINE_BYTES = 32;
    /** Most header fields: HAProxy's {@code tune.http.maxhdr} defaults to 101. */
    public static final int DEFAULT_MAX_HEADERS = RequestPolicy.DEFAULT_MAX_HEADERS;
    /** Largest {@code parse.max-headers}, HAProxy's bound for {@code tune.http.maxhdr}; each costs 48 B a slot. */
    public static final int MAX_HEADERS = 32767;
    /** No body limit (nginx's {@code client_max_body_size} is 1m; an origin knows its own routes better). */
    public static final long DEFAULT_MAX_BODY_BYTES = RequestPolicy.DEFAULT_MAX_BODY_BYTES;
    /** X-Forwarded-Proto on: cheap, and read by most frameworks to build absolute URLs. */
    public static final boolean DEFAULT_X_FORWARDED_PROTO = RequestPolicy.DEFAULT_X_FORWARDED_PROTO;
    /** X-Forwarded-Host on: read together with X-Forwarded-Proto. */
    public static final boolean DEFAULT_X_FORWARDED_HOST = RequestPolicy.DEFAULT_X_FORWARDED_HOST;
    /** Forwarded off: it repeats the X-Forwarded-* fields, which origins read far more often. */
    public static final boolean DEFAULT_FORWARDED = RequestPolicy.DEFAULT_FORWARDED;
    /** Via on: RFC 9110 7.6.3 says a gateway MUST send it in each inbound request. */
    public static final boolean DEFAULT_VIA = RequestPolicy.DEFAULT_VIA;
    /** The origin: the bundled demo origin's default address. */
    public static final String DEFAULT_UPSTREAM = "127.0.0.1:9000";
    /** Origin connections open at once; 0 allows one per connection slot, so no request ever queues. */
    public static final int DEFAULT_UPSTREAM_MAX_CONNECTIONS = 0;
    /**
     * Queue delay of a parse, upstream or write thread's inbox above which new work for it is answered 503 (one
     * target for every gate): far above what a full slot table costs to drain in healthy operation (1024 requests
     * at about 20 us of CPU each is 20 ms), so it fires only when a stage is starved; a queue must stand that long
     * for a whole interval as long, so a scheduling hiccup or a collector pause on a shared host does not turn
     * into refused requests.
     */
    public static final long DEFAULT_ADMISSION_QUEUE_DELAY_MS = 500;
    /** Longest wait for an origin connection when all are busy: long enough to ride out a burst. */
    public static final long DEFAULT_UPSTREAM_QUEUE_TIMEOUT_MS = 5_000;
    /** One upstream thread. */
    public static final int DEFAULT_UPSTREAM_THREADS = 1;
    /** A server failing once (connect error, reset, timeout) is ejected: nginx's {@code max_fails=1}. */
    public static final int DEFAULT_UPSTREAM_MAX_FAILS = 1;
    /** Most failures in a row a group may wait for before ejecting a server. */
    public static final int MAX_UPSTREAM_MAX_FAILS = 1000;
    /** An ejected server is tried again after this: nginx's {@code fail_timeout=10s}. */
    public static final long DEFAULT_UPSTREAM_FAIL_TIMEOUT_MS = 10_000;
    /** An idempotent request that could not connect is sent once more, to another server of its group. */
    public static final boolean DEFAULT_UPSTREAM_RETRY = true;
    /** Time between active health checks of one server (when its group has {@code health.path}). */
    public static final long DEFAULT_UPSTREAM_HEALTH_INTERVAL_MS = 5_000;
    /** Longest an active health check may take: connect, request and status line. */
    public static final long DEFAULT_UPSTREAM_HEALTH_TIMEOUT_MS = 2_000;
    /** One failed active check marks a server down (HAProxy's {@code fall} is 3; one reacts at once). */
    public static final int DEFAULT_UPSTREAM_HEALTH_FALL = 1;
    /** One passed active check marks a down server up again (HAProxy's {@code rise} is 2). */
    public static final int DEFAULT_UPSTREAM_HEALTH_RISE = 1;
    /** Most checks in a row {@code health.fall} and {@code health.rise} may ask for. */
    public static final int MAX_UPSTREAM_HEALTH_COUNT = 100;
    /** Balance of a group that does not say: smooth weighted round-robin. */
    public static final String DEFAULT_UPSTREAM_BALANCE = "round-robin";
    /** Largest server weight: nginx does not bound it; 1000 keeps the smooth round-robin sums small. */
    public static final int MAX_UPSTREAM_WEIGHT = 1000;
    /** Most servers over all groups: each has counters per upstream thread and may have a health socket. */
    public static final int MAX_UPSTREAM_SERVERS = 1024;
    /** Most routes: they are matched in order, so a long list costs every request. */
    public static final int MAX_ROUTES = 1024;
    /**
     * Response buffer per connection: room for most heads, and the read and write size of a streamed body. 48 KiB
     * relayed a 1 MiB body with 15 % less proxy CPU and 17 % more requests/s than 32 KiB, for 16 MiB more plan at
     * 1024 connections; 64 KiB bought less for twice that, and smaller bodies did not move (docs/PERFORMANCE.md,
     * "Large bodies: the response block").
     */
    public static final int DEFAULT_UPSTREAM_BUFFER_BYTES = 48 * 1024;
    /** One write thread. */
    public static final int DEFAULT_WRITE_THREADS = 1;
    /**
     * The upstream stage writes each response part to the client itself when the client takes it whole: no
     * ring round trip to the write stage per block (bench/run at 1 MiB: see docs/PERFORMANCE.md).
     */
    public static final boolean DEFAULT_WRITE_THROUGH = true;
    /**
     * Yields before an idle stage sleeps in its selector. Stages usually share cores, so a producer often
     * publishes while the consumer yields and then pays no wakeup; two measured best (bench/run, 128 B:
     * CPU per request -15% against sleeping at once; 1, 4 and 10 did no better).
     */
    public static final int DEFAULT_IDLE_YIELDS = 2;
    /**
     * Fused whenever the parse and upstream thread counts are equal: one thread measured less CPU, fewer switches
     * and more requests per second at 128 B, 16 KiB and on one connection, on one core and on two, and a tie at
     * 1 MiB and POST 16 KiB (docs/PERFORMANCE.md, "Fused parse and upstream").
     */
    public static final String DEFAULT_FUSE_PARSE_UPSTREAM = "auto";
    /** Most yields accepted: beyond a few, an idle proxy only burns its core. */
    public static final int MAX_IDLE_YIELDS = 1000;
    /** A request head must be complete within this: nginx's {@code client_header_timeout} is 60 s, 10 s is ample. */
    public static final long DEFAULT_CLIENT_HEAD_TIMEOUT_MS = 10_000;
    /** The window a request body is measured over ({@link #DEFAULT_CLIENT_MIN_RATE_BYTES}). */
    public static final long DEFAULT_CLIENT_BODY_TIMEOUT_MS = 10_000;
    /** The window a response is measured over ({@link #DEFAULT_CLIENT_MIN_RATE_BYTES}). */
    public static final long DEFAULT_CLIENT_SEND_TIMEOUT_MS = 10_000;
    /**
     * Least pace of a client Weir waits on, bytes per second over each timeout's window: Apache's
     * {@code mod_reqtimeout} asks 500 of a request body; a connection on the slowest mobile link moves ten times that.
     */
    public static final long DEFAULT_CLIENT_MIN_RATE_BYTES = 500;
    /** Highest minimum rate accepted: 1 GiB/s, far past what a client link carries. */
    public static final long MAX_CLIENT_MIN_RATE_BYTES = 1L << 30;
    /** An idle keep-alive client connection is closed after this. */
    public static final long DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 30_000;
    /** Longest wait for a connection to the origin to be established. */
    public static final long DEFAULT_UPSTREAM_CONNECT_TIMEOUT_MS = 5_000;
    /** Longest wait for the next origin bytes, or for the origin to accept request bytes. */
    public static final long DEFAULT_UPSTREAM_RESPONSE_TIMEOUT_MS = 30_000;
    /** A lingering close's window: the client takes its answer at the minimum rate and closes, or is reset. */
    public static final long DEFAULT_LINGER_TIMEOUT_MS = 2_000;
    /** A WebSocket tunnel with no bytes either way for this long is closed: HAProxy's {@code timeout tunnel}. */
    public static final long DEFAULT_TUNNEL_IDLE_TIMEOUT_MS = 5 * 60_000;
    /** Shortest duration accepted for any timeout. */
    public static final long MIN_DURATION_MS = 1;
    /** Longest duration accepted for any timeout: beyond an hour a timeout protects nothing. */
    public static final long MAX_DURATION_MS = Durations.HOUR_MS;
    /**
     * {@code SO_RCVBUF}: 32 KiB, which Linux doubles to 64 KiB of accounting: a 16 KiB response and its head
     * then arrive in one origin read (at 16 KiB it took two, +21-24 % req/s at 16 KiB bodies). Setting it fixes
     * the size (no autotuning up to {@code tcp_rmem}'s 6 MiB) so the kernel's share of the plan is bounded.
     */
    public static final int DEFAULT_SOCKET_RECEIVE_BUFFER_BYTES = 32 * 1024;
    /** {@code SO_SNDBUF}: 16 KiB, doubled by Linux; bodies are streamed through the arenas, not the kernel. */
    public static final int DEFAULT_SOCKET_SEND_BUFFER_BYTES = 16 * 1024;
    /**
     * The response path's kernel buffers (an origin socket's {@code SO_RCVBUF}, a client socket's
     * {@code SO_SNDBUF}): 64 KiB. With the request path's sizes there, a 1 MiB response cost 2.0-2.3 ms of the
     * proxy's CPU (every 32 KiB block took a partial write, a wait for the client and a small window to the
     * origin); at 64 KiB it cost about 1.0 ms, and 128 KiB bought 15 % more for twice the kernel memory: 64 KiB
     * is the best requests per MiB of plan (docs/PERFORMANCE.md, "Large bodies"). The price: a client can have
     * only about 128 KiB in flight per round trip, and below capacity a 1 MiB response waits for its client's
     * acknowledgements about ten times (p50 1.2 ms against 0.56 ms with 1 MiB buffers at 600 responses/s, "Large
     * bodies at a fixed rate").
     */
    public static final int DEFAULT_SOCKET_RESPONSE_BUFFER_BYTES = 64 * 1024;
    /**
     * The {@code SO_SNDBUF} a client socket is grown to while a large response streams to it: 1 MiB, which
     * halved the CPU of a 1 MiB response at a fixed rate when every socket had it ("Large bodies at a fixed
     * rate"). Only {@link #DEFAULT_LARGE_RESPONSE_BUFFER_COUNT} sockets hold one at once, so the plan pays for
     * those alone.
     */
    public static final int DEFAULT_LARGE_RESPONSE_BUFFER_BYTES = 1024 * 1024;
    /**
     * Client sockets that may hold a grown send buffer at once: 8, 15.0 MiB of plan. At 600 responses/s of 1 MiB it
     * cut the p50 from 1.5-1.6 to 0.94-0.97 ms, the p99 from 21-50 to 14-38 ms and the CPU per response from 1,031
     * to 744 µs in three runs at that rate (the CPU in two); 16 and 64 measured no better (docs/PERFORMANCE.md,
     * "A planned pool of grown send buffers").
     */
    public static final int DEFAULT_LARGE_RESPONSE_BUFFER_COUNT = 8;
    /** Java heap: the stage hot paths allocate nothing, so the heap holds startup objects, slots and rings. */
    public static final long DEFAULT_HEAP_BYTES = 64L * 1024 * 1024;
    /** {@code -Xss}: stage loops are shallow; half the 1 MiB JVM default. */
    public static final long DEFAULT_THREAD_STACK_BYTES = 512L * 1024;
    /**
     * Stack each stage thread (and the access log's) touches before its first turn, so its pages are resident
     * before "ready": HotSpot bangs a page 80 KiB (its shadow zone) below the stack pointer at every compiled
     * method entry, so a thread soon touches its depth plus 80 KiB anyway; 256 KiB covers that and the deepest
     * path measured (an error logged with its stack trace), at 1 MiB for the default four threads. When not
     * set and {@code jvm.thread-stack} is smaller than 384k, as deep as it allows.
     */
    public static final long DEFAULT_STACK_PRETOUCH_BYTES = 256L * 1024;
    /** Smallest pre-touch: one page; none (0) turns it off. */
    public static final long MIN_STACK_PRETOUCH_BYTES = 4L * 1024;
    /**
     * Stack left untouched below the pre-touched depth: HotSpot's shadow zone (20 pages, banged while touching)
     * and its yellow, red and reserved guard pages (4), with room for the frames that measure the depth.
     */
    public static final long STACK_PRETOUCH_MARGIN_BYTES = 128L * 1024;
    /**
     * Metaspace cap: 13.8 MiB committed (13.4 MiB used) at most after a warm-up through every code path with the
     * admin listener and the access log on (PlanWorstCaseIT), plus 75 % for classes only rarer paths load; too low
     * is an {@code OutOfMemoryError} at class loading, which ends the process.
     */
    public static final long DEFAULT_METASPACE_BYTES = 24L * 1024 * 1024;
    /**
     * Code cache cap: 7.9 MiB committed at most after the warm-up of every code path (PlanWorstCaseIT; 5.4 MiB
     * at most after 80 s of wrk), doubled; a full cache stops compiling new code, it does not stop the process.
     */
    public static final long DEFAULT_CODE_CACHE_BYTES = 16L * 1024 * 1024;
    /**
     * Direct memory cap: NIO's temporary buffers only (the admin listener's writes from heap buffers, at most
     * tens of KiB a thread); arenas are native memory outside this cap. Under 0.1 MiB measured (PlanWorstCaseIT).
     */
    public static final long DEFAULT_DIRECT_MEMORY_BYTES = 8L * 1024 * 1024;
    /**
     * The JVM's own resident memory no flag caps: the JVM's and JDK's libraries (file-backed pages), the shared
     * class archive (12 MiB), the compilers' peak arenas, symbols, GC structures, malloc. 59-72 MiB measured as the
     * peak resident set less every other row at the worst case (PlanWorstCaseIT, with native memory tracking on),
     * once 90.9 MiB on a loaded machine; 10 % over that one, for compilations other workloads trigger.
     */
    public static final long DEFAULT_JVM_OVERHEAD_BYTES = 100L * 1024 * 1024;
    /** No pinning: the scheduler places the stage threads. */
    public static final String DEFAULT_AFFINITY = CpuList.NONE;
    /** Locking needs {@code CAP_IPC_LOCK} or a large {@code RLIMIT_MEMLOCK}; off so a laptop can start. */
    public static final boolean DEFAULT_MEMORY_LOCK = false;
    /**
     * Exchanges of the warm-up before ready: enough for the JIT to compile the stages' per-request code with every
     * shape of exchange seen (3-8 s on this project's 2-core machine, docs/PERFORMANCE.md); 10,000 left some of it
     * uncompiled.
     */
    public static final int DEFAULT_WARM_UP_EXCHANGES = 20_000;
    /** Most exchanges a warm-up may be asked for; it stops at its deadline anyway. */
    public static final int MAX_WARM_UP_EXCHANGES = 10_000_000;
    /** Fewest exchanges of a warm-up that is on: fewer would not reach the JIT's thresholds. */
    public static final int MIN_WARM_UP_EXCHANGES = 1_000;
    /** No budget: sizes come from the keys above. */
    public static final long DEFAULT_MEMORY_BUDGET_BYTES = 0;
    /** The access log is off: {@code none}. */
    public static final String DEFAULT_ACCESS_LOG_PATH = "none";
    /** {@code access-log.path} value that turns the log off. */
    public static final String ACCESS_LOG_OFF = "none";
    /** {@code access-log.path} value that writes the log to standard output (a container's log collector). */
    public static final String ACCESS_LOG_STDOUT = "-";
    /** The NCSA common format, which every log tool reads. */
    public static final String DEFAULT_ACCESS_LOG_FORMAT = "common";
    /**
     * Records the access log ring holds at least: at 50,000 requests a second, 40 ms of the log thread's absence,
     * twenty times the longest it sleeps when idle (1 ms).
     */
    public static final int DEFAULT_ACCESS_LOG_RECORDS = 2048;
    /** Fewest access log records: a ring of fewer cannot ride out one write to the file. */
    public static final int MIN_ACCESS_LOG_RECORDS = 16;
    /** Most access log records. */
    public static final int MAX_ACCESS_LOG_RECORDS = 1 << 20;
    /** Target (and Referer, User-Agent) bytes kept per record: most targets, query strings included, fit. */
    public static final int DEFAULT_ACCESS_LOG_MAX_TARGET_BYTES = 1024;
    /** Fewest target bytes kept. */
    public static final int MIN_ACCESS_LOG_MAX_TARGET_BYTES = 16;
    /** Most target bytes kept. */
    public static final int MAX_ACCESS_LOG_MAX_TARGET_BYTES = 64 * 1024;
    /**
     * The admin listener is off: it exposes the memory plan and every counter, so an operator chooses its
     * address (loopback, or a network only the monitoring system reaches) rather than getting one by default.
     */
    public static final String DEFAULT_ADMIN_LISTEN = "none";
    /**
     * Longest a drain waits for in-flight exchanges after SIGTERM: 25 s ends within Kubernetes' default
     * 30 s {@code terminationGracePeriodSeconds}, with 5 s left to stop the stages before the SIGKILL, and is
     * far above a normal exchange (an exchange bounded only by {@code timeout.upstream-response}, 30 s, may be
     * cut).
     */
    public static final long DEFAULT_DRAIN_TIMEOUT_MS = 25_000;

    /** Smallest per-connection buffer: below this a request line and a few headers do not fit. */
    public static final int MIN_BUFFER_BYTES = 1024;
    /** Largest per-connection buffer or socket buffer. */
    public static final int MAX_BUFFER_BYTES = 1 << 30;
    /**
     * Most connection slots: each takes one block of each stage's {@link BlockPool}, whose
     * handles hold a 20-bit block index, so a pool holds at most 2^20 blocks.
     */
    public static final int MAX_CONNECTIONS = BlockPool.MAX_BLOCK_COUNT;
    /** Largest ring: twice the most connections. */
    public static final int MAX_RING_SIZE = 2 * MAX_CONNECTIONS;
    /** Most threads per stage. */
    public static final int MAX_STAGE_THREADS = 64;
    /** Largest listen backlog. */
    public static final int MAX_ACCEPT_BACKLOG = 65535;
    /** Smallest {@code -Xss} this program runs with (configuration parsing recurses). */
    public static final long MIN_THREAD_STACK_BYTES = 256L * 1024;
    /** Smallest metaspace cap. */
    public static final long MIN_METASPACE_BYTES = 16L * 1024 * 1024;
    /** Smallest code cache: the JVM refuses to start with much less when tiered compilation is on. */
    public static final long MIN_CODE_CACHE_BYTES = 8L * 1024 * 1024;
    /** Largest code cache the JVM accepts. */
    public static final long MAX_CODE_CACHE_BYTES = 2L * 1024 * 1024 * 1024;
    /**
     * Largest heap, metaspace, direct memory or overhead allowance: 64 TiB, beyond any machine's memory, and small
     * enough that the plan's sum of every row cannot overflow.
     */
    public static final long MAX_JVM_AREA_BYTES = 64L << 40;
    /** Smallest direct memory cap. */
    public static final long MIN_DIRECT_MEMORY_BYTES = 1024L * 1024;
    /** Smallest JVM overhead allowance. */
    public static final long MIN_JVM_OVERHEAD_BYTES = 16L * 1024 * 1024;

    /** The type of a key's value, which says how it is written. */
    public enum Type {
        /** {@code HOST:PORT}. */
        HOST_PORT,
        /** {@code HOST:PORT}, or {@code none} for off. */
        HOST_PORT_OR_NONE,
        /** A whole number. */
        INTEGER,
        /** A size with a unit, see {@link Sizes}. */
        SIZE,
        /** A size with a unit, or {@code none}. */
        SIZE_OR_NONE,
        /** A duration with a unit, see {@link Durations}. */
        DURATION,
        /** A duration with a unit, or {@code none} (held as 0). */
        DURATION_OR_NONE,
        /** {@code true} or {@code false}. */
        BOOLEAN,
        /** A CPU list such as {@code 0-3,6}, or {@code none}. */
        CPU_LIST,
        /** A file path, {@code -} for standard output, or {@code none}. */
        PATH_OR_NONE,
        /** One of the words {@link Key#choices()} lists. */
        CHOICE
    }

    /** The rule a key's value must follow on its own; rules across keys are in {@link WeirConfig.Builder}. */
    public enum Rule {
        /** No bound (booleans). */
        NONE,
        /** From {@link Key#min()} to {@link Key#max()}; for {@code HOST:PORT}, the port, and the host is checked. */
        RANGE,
        /** 0 (see {@link Key#zeroMeans()}), or from {@link Key#min()} to {@link Key#max()}. */
        ZERO_OR_RANGE,
        /** 0 (see {@link Key#zeroMeans()}), or a power of two from {@link Key#min()} to {@link Key#max()}. */
        ZERO_OR_POWER_OF_TWO,
        /** A power of two from {@link Key#min()} to {@link Key#max()}. */
        POWER_OF_TWO
    }

    /**
     * One key of the table: its name, type, default, meaning and bounds, and how to set and read it.
     * <p>
     * <b>Note:</b> immutable and thread-safe.
     */
    public static final class Key {
        private final String name;
        private final Type type;
        private final String unit;
        private final String defaultValue;
        private final String meaning;
        private final Rule rule;
        private final long min;
        private final long max;
        private final String zeroMeans;
        private final BiConsumer<WeirConfig.Builder, Object> setter;
        private final Function<WeirConfig, String> reader;
        private final ToLongFunction<WeirConfig> number;
        private final Function<WeirConfig, String> host;
        private final List<String> choices;

        private Key(final Row r) {
            this.name = r.name;
            this.type = r.type;
            this.unit = r.unit;
            this.defaultValue = r.defaultValue;
            this.meaning = r.meaning;
            this.rule = r.rule;
            this.min = r.min;
            this.max = r.max;
            this.zeroMeans = r.zeroMeans;
            this.setter = r.setter;
            this.reader = r.reader;
            this.number = r.number;
            this.host = r.host;
            this.choices = r.choices;
        }

        /** @return the words a {@link Type#CHOICE} key accepts; empty for other types. */
        public List<String> choices() {
            return choices;
        }

        /** @return the key as written in YAML, sections joined with dots, e.g. {@code parse.buffer}. */
        public String name() {
            return name;
        }

        /** @return how the value is written. */
        public Type type() {
            return type;
        }

        /** @return the unit, e.g. {@code bytes}, {@code threads}; empty for none. */
        public String unit() {
            return unit;
        }

        /** @return the default as written in YAML. */
        public String defaultValue() {
            return defaultValue;
        }

        /** @return what the key means, one sentence. */
        public String meaning() {
            return meaning;
        }

        /** @return the rule the value follows on its own. */
        public Rule rule() {
            return rule;
        }

        /** @return the smallest value (bytes, milliseconds, a count or a port by {@link #type()}). */
        public long min() {
            return min;
        }

        /** @return the largest value, in the unit of {@link #min()}. */
        public long max() {
            return max;
        }

        /** @return what 0 means when the rule allows it, e.g. {@code one per connection slot}; else empty. */
        public String zeroMeans() {
            return zeroMeans;
        }

        /**
         * @param config a configuration.
         * @return this key's value in it, as written in YAML.
         */
        public String valueIn(final WeirConfig config) {
            return reader.apply(config);
        }

        /**
         * Set the key on a builder.
         *
         * @param builder the builder.
         * @param value   the converted value: {@link HostPort} ({@code null} for {@code none}), {@link Integer},
         *                {@link Long} (bytes or milliseconds) or {@link Boolean} by {@link #type()}.
         */
        void apply(final WeirConfig.Builder builder, final Object value) {
            setter.accept(builder, value);
        }

        /**
         * Check this key's value against its own rule.
         *
         * @param config the unvalidated values.
         * @throws ConfigException naming this key when the value breaks the rule.
         */
        void check(final WeirConfig config) {
            if (rule == Rule.NONE || type == Type.HOST_PORT_OR_NONE && host.apply(config) == null) {
                return;
            }
            if (host != null && !HostPort.isHost(host.apply(config))) {
                throw new ConfigException(name, "must be HOST:PORT with a host name or address (got host '"
                    + host.apply(config) + "')");
            }
            final long value = number.applyAsLong(config);
            if (value == 0 && (rule == Rule.ZERO_OR_RANGE || rule == Rule.ZERO_OR_POWER_OF_TWO)) {
                return;
            }
            if (rule == Rule.POWER_OF_TWO && (value <= 0 || Long.bitCount(value) != 1)) {
                throw new ConfigException(name, "must be a power of two (got " + value + ")");
            }
            final String subject = host != null ? "port must be" : "must be";
            final String orZero = rule == Rule.RANGE || rule == Rule.POWER_OF_TWO ? "" : " 0 (" + zeroMeans + ") or";
            if (rule == Rule.ZERO_OR_POWER_OF_TWO && (value < 0 || Long.bitCount(value) != 1)) {
                throw new ConfigException(name, subject + " a power of two, or 0 for " + zeroMeans + " (got "
                    + value + ")");
            }
            if (value < min) {
                throw new ConfigException(name, subject + orZero + " at least " + format(min) + " (got "
                    + (value < 0 ? Long.toString(value) : formatWithUnit(value)) + ")");
            }
            if (value > max) {
                throw new ConfigException(name, subject + orZero + " at most " + format(max) + " (got "
                    + formatWithUnit(value) + ")");
            }
        }

        private String format(final long value) {
            switch (type) {
                case SIZE:
                case SIZE_OR_NONE:
                    return Sizes.format(value);
                case DURATION:
                case DURATION_OR_NONE:
                    return Durations.format(value);
                default:
                    return Long.toString(value);
            }
        }

        private String formatWithUnit(final long value) {
            return type == Type.SIZE || type == Type.SIZE_OR_NONE ? Sizes.formatWithUnit(value) : format(value);
        }
    }

    /** One row of the table while it is written; the factory methods below fill it. */
    private static final class Row {
        private String name;
        private Type type;
        private String unit = "";
        private String defaultValue;
        private String meaning;
        private Rule rule = Rule.RANGE;
        private long min;
        private long max;
        private String zeroMeans = "";
        private BiConsumer<WeirConfig.Builder, Object> setter;
        private Function<WeirConfig, String> reader;
        private ToLongFunction<WeirConfig> number;
        private Function<WeirConfig, String> host;
        private List<String> choices = List.of();

        private Row(final String name, final Type type, final String meaning) {
            this.name = name;
            this.type = type;
            this.meaning = meaning;
        }

        private Row zero(final Rule zeroRule, final String means) {
            this.rule = zeroRule;
            this.zeroMeans = means;
            return this;
        }

        private Key key() {
            return new Key(this);
        }
    }

    private static final List<Key> KEYS;

    static {
        final List<Key> k = new ArrayList<>();
        k.add(hostPort("accept.listen", DEFAULT_LISTEN, 0,
            "Address and port the proxy listens on; port 0 picks a free port.",
            (b, v) -> b.listen(v.host(), v.port()), WeirConfig::listenHost, WeirConfig::listenPort));
        k.add(integer("accept.backlog", "connections", DEFAULT_ACCEPT_BACKLOG, 1, MAX_ACCEPT_BACKLOG,
            "Pending connections the kernel queues before they are accepted.",
            (b, v) -> b.acceptBacklog(v), WeirConfig::acceptBacklog).key());
        k.add(duration("accept.queue-timeout", DEFAULT_ACCEPT_QUEUE_TIMEOUT_MS,
            "While every slot is taken, new connections wait in the listen backlog; once accepting has been paused"
                + " this long, the connections waiting there are accepted and answered 503 with Retry-After.",
            (b, v) -> b.acceptQueueTimeoutMs(v), WeirConfig::acceptQueueTimeoutMs));
        k.add(duration("accept.reclaim-idle-after", DEFAULT_ACCEPT_RECLAIM_IDLE_AFTER_MS,
            "While connections wait in the listen backlog for a slot, keep-alive connections idle at least this long"
                + " are closed, oldest first, to seat them; timeout.keep-alive or more turns this off.",
            (b, v) -> b.acceptReclaimIdleAfterMs(v), WeirConfig::acceptReclaimIdleAfterMs));
        k.add(bool("accept.reuse-port", DEFAULT_ACCEPT_REUSE_PORT,
            "Set SO_REUSEPORT on the listening socket before binding, so several Weir processes share the port and"
                + " the kernel spreads new connections across them; every process must set it.",
            (b, v) -> b.reusePort(v), WeirConfig::reusePort));
        k.add(integer("connections", "slots", DEFAULT_CONNECTIONS, 1, MAX_CONNECTIONS,
            "Connection slots: the most client connections open at once; one more waits in the listen backlog"
                + " (accept.queue-timeout).",
            (b, v) -> b.connections(v), WeirConfig::connections).key());
        k.add(integer("ring-size", "entries", DEFAULT_RING_SIZE, 2, MAX_RING_SIZE,
            "Entries per hand-off ring, a power of two at least 2 x connections; 0 picks the smallest.",
            (b, v) -> b.ringSize(v), WeirConfig::ringSize)
            .zero(Rule.ZERO_OR_POWER_OF_TWO, "the smallest one at least 2 x connections").key());
        k.add(integer("parse.threads", "threads", DEFAULT_PARSE_THREADS, 1, MAX_STAGE_THREADS,
            "Parse stage threads; connections are sharded across them by slot.",
            (b, v) -> b.parseThreads(v), WeirConfig::parseThreads).key());
        k.add(buffer("parse.buffer", DEFAULT_PARSE_BUFFER_BYTES,
            "Request buffer per connection; also the largest request head accepted (larger gets 431).",
            (b, v) -> b.parseBufferBytes(v), WeirConfig::parseBufferBytes));
        k.add(size("parse.max-request-line", DEFAULT_MAX_REQUEST_LINE_BYTES, MIN_REQUEST_LINE_BYTES,
            MAX_BUFFER_BYTES,
            "Longest request line (CRLF excluded); longer is answered 414. At most parse.buffer, which holds it;"
                + " when not set and parse.buffer is smaller, parse.buffer.",
            (b, v) -> b.maxRequestLineBytes(intSize("parse.max-request-line", v)),
            WeirConfig::maxRequestLineBytes));
        k.add(integer("parse.max-headers", "fields", DEFAULT_MAX_HEADERS, 1, MAX_HEADERS,
            "Most header fields in a request; more is answered 431. Sizes each slot's field tables (48 B a field).",
            (b, v) -> b.maxHeaders(v), WeirConfig::maxHeaders).key());
        final Row maxBody = new Row("parse.max-body", Type.SIZE_OR_NONE,
            "Largest request body; larger is answered 413 (Content-Length at once, chunked while it streams).");
        maxBody.unit = "bytes";
        maxBody.defaultValue = "none";
        maxBody.max = Long.MAX_VALUE;
        maxBody.setter = (b, v) -> b.maxBodyBytes((Long) v);
        maxBody.number = WeirConfig::maxBodyBytes;
        maxBody.reader = c -> c.maxBodyBytes() == 0 ? "none" : Sizes.formatWithUnit(c.maxBodyBytes());
        k.add(maxBody.key());
        k.add(hostPort("upstream.address", DEFAULT_UPSTREAM, 1,
            "The origin every request is forwarded to when there is no upstreams: section (a group named default).",
            (b, v) -> b.upstream(v.host(), v.port()), WeirConfig::upstreamHost, WeirConfig::upstreamPort));
        k.add(integer("upstream.threads", "threads", DEFAULT_UPSTREAM_THREADS, 1, MAX_STAGE_THREADS,
            "Upstream stage threads.",
            (b, v) -> b.upstreamThreads(v), WeirConfig::upstreamThreads).key());
        k.add(buffer("upstream.buffer", DEFAULT_UPSTREAM_BUFFER_BYTES,
            "Response buffer per connection; bodies of any length stream through it, this much per read and"
                + " write (48k relayed 1 MiB bodies with 15 % less CPU than 32k). The forwarded request head is"
                + " written here first, so it must be at least parse.buffer + 1k.",
            (b, v) -> b.upstreamBufferBytes(v), WeirConfig::upstreamBufferBytes));
        k.add(integer("upstream.max-connections", "connections", DEFAULT_UPSTREAM_MAX_CONNECTIONS, 1,
            MAX_CONNECTIONS,
            "Most origin connections open at once, idle ones kept alive; 0: one per connection slot. Otherwise at"
                + " least upstream.threads and at most connections.",
            (b, v) -> b.upstreamMaxConnections(v), WeirConfig::upstreamMaxConnections)
            .zero(Rule.ZERO_OR_RANGE, "one per connection slot").key());
        final Row admission = new Row("admission.queue-delay", Type.DURATION_OR_NONE,
            "The one target of every stage's admission gate: when everything of an interval this long waited"
                + " longer than this in a parse, upstream or write thread's inbox (from the producer's hand-off to"
                + " the thread's turn), or the thread stalled that long, new connections (parse; answered by accept)"
                + " or new requests (upstream, write; answered by parse) are answered 503 with Retry-After instead"
                + " of queued for the next interval; none: never.");
        admission.unit = "milliseconds";
        admission.defaultValue = Durations.format(DEFAULT_ADMISSION_QUEUE_DELAY_MS);
        admission.rule = Rule.ZERO_OR_RANGE;
        admission.zeroMeans = "none";
        admission.min = MIN_DURATION_MS;
        admission.max = MAX_DURATION_MS;
        admission.setter = (b, v) -> b.admissionQueueDelayMs((Long) v);
        admission.number = WeirConfig::admissionQueueDelayMs;
        admission.reader = c -> c.admissionQueueDelayMs() == 0 ? "none" : Durations.format(c.admissionQueueDelayMs());
        k.add(admission.key());
        k.add(duration("upstream.queue-timeout", DEFAULT_UPSTREAM_QUEUE_TIMEOUT_MS,
            "Longest a request waits for an origin connection when upstream.max-connections are busy; then 503"
                + " with Retry-After.",
            (b, v) -> b.upstreamQueueTimeoutMs(v), WeirConfig::upstreamQueueTimeoutMs));
        k.add(integer("upstream.max-fails", "failures", DEFAULT_UPSTREAM_MAX_FAILS, 1, MAX_UPSTREAM_MAX_FAILS,
            "Failures in a row (connect error, reset, timeout, bad response) that eject a server of a group of two"
                + " or more for upstream.fail-timeout; 0 never ejects. A group's max-fails overrides it.",
            (b, v) -> b.upstreamMaxFails(v), WeirConfig::upstreamMaxFails)
            .zero(Rule.ZERO_OR_RANGE, "never eject").key());
        k.add(duration("upstream.fail-timeout", DEFAULT_UPSTREAM_FAIL_TIMEOUT_MS,
            "How long an ejected server is left out before it is tried again; a group's fail-timeout overrides it.",
            (b, v) -> b.upstreamFailTimeoutMs(v), WeirConfig::upstreamFailTimeoutMs));
        k.add(bool("upstream.retry", DEFAULT_UPSTREAM_RETRY,
            "Send an idempotent request that could not connect (refused, connect timeout) once more, to another"
                + " server of its group; a group's retry overrides it.",
            (b, v) -> b.upstreamRetry(v), WeirConfig::upstreamRetry));
        k.add(duration("upstream.health.interval", DEFAULT_UPSTREAM_HEALTH_INTERVAL_MS,
            "Time between active health checks of each server of a group with health.path; the group's"
                + " health.interval overrides it.",
            (b, v) -> b.upstreamHealthIntervalMs(v), WeirConfig::upstreamHealthIntervalMs));
        k.add(duration("upstream.health.timeout", DEFAULT_UPSTREAM_HEALTH_TIMEOUT_MS,
            "Longest an active health check may take (connect, request, status line); the group's health.timeout"
                + " overrides it.",
            (b, v) -> b.upstreamHealthTimeoutMs(v), WeirConfig::upstreamHealthTimeoutMs));
        k.add(integer("upstream.health.fall", "checks", DEFAULT_UPSTREAM_HEALTH_FALL, 1, MAX_UPSTREAM_HEALTH_COUNT,
            "Failed active checks in a row that mark a server down; the group's health.fall overrides it.",
            (b, v) -> b.upstreamHealthFall(v), WeirConfig::upstreamHealthFall).key());
        k.add(integer("upstream.health.rise", "checks", DEFAULT_UPSTREAM_HEALTH_RISE, 1, MAX_UPSTREAM_HEALTH_COUNT,
            "Passed active checks in a row that mark a down server up again; the group's health.rise overrides it.",
            (b, v) -> b.upstreamHealthRise(v), WeirConfig::upstreamHealthRise).key());
        k.add(integer("write.threads", "threads", DEFAULT_WRITE_THREADS, 1, MAX_STAGE_THREADS,
            "Write stage threads.",
            (b, v) -> b.writeThreads(v), WeirConfig::writeThreads).key());
        k.add(bool("write.through", DEFAULT_WRITE_THROUGH,
            "The upstream stage writes each response part to the client itself when the client takes it whole;"
                + " a part the client does not take whole, or a canned answer, goes to the write stage. false:"
                + " every part goes through the write stage.",
            (b, v) -> b.writeThrough(v), WeirConfig::writeThrough));
        final Row fuse = new Row("fuse-parse-upstream", Type.CHOICE,
            "Each parse thread also runs the upstream stage of its index, over one selector: no thread switch"
                + " between reading a request and sending it to the origin. auto: fused when parse.threads equals"
                + " upstream.threads; true: fused, and the counts must be equal; false: separate threads.");
        fuse.defaultValue = DEFAULT_FUSE_PARSE_UPSTREAM;
        fuse.rule = Rule.NONE;
        fuse.choices = List.of("auto", "true", "false");
        fuse.setter = (b, v) -> b.fuseParseUpstream((String) v);
        fuse.reader = WeirConfig::fuseParseUpstreamSetting;
        k.add(fuse.key());
        k.add(integer("idle-yields", "yields", DEFAULT_IDLE_YIELDS, 0, MAX_IDLE_YIELDS,
            "Times an idle stage yields its core while another stage thread works (or after a turn that let a ready"
                + " key pass), checking its inbox, before it sleeps in its selector; 0 sleeps at once.",
            (b, v) -> b.idleYields(v), WeirConfig::idleYields).key());
        k.add(duration("timeout.client-head", DEFAULT_CLIENT_HEAD_TIMEOUT_MS,
            "A request head not complete within this is answered 408 and the connection closed.",
            (b, v) -> b.clientHeadTimeoutMs(v), WeirConfig::clientHeadTimeoutMs));
        k.add(duration("timeout.client-body", DEFAULT_CLIENT_BODY_TIMEOUT_MS,
            "The window a request body is measured over: a client that sent less than timeout.client-min-rate"
                + " of it in the last this much waiting (summed over the body's waits, judged every half of it) gets"
                + " 408, or a reset once the answer began.",
            (b, v) -> b.clientBodyTimeoutMs(v), WeirConfig::clientBodyTimeoutMs));
        k.add(duration("timeout.client-send", DEFAULT_CLIENT_SEND_TIMEOUT_MS,
            "The window a response is measured over: a client that took less than timeout.client-min-rate of it"
                + " in the last this much waiting (summed over the response's waits, judged every half of it) is"
                + " reset.",
            (b, v) -> b.clientSendTimeoutMs(v), WeirConfig::clientSendTimeoutMs));
        k.add(size("timeout.client-min-rate", "bytes per second", DEFAULT_CLIENT_MIN_RATE_BYTES, 0,
            MAX_CLIENT_MIN_RATE_BYTES,
            "Least bytes per second a client must move while Weir waits on it, over the last window of waiting as"
                + " long as timeout.client-body (request body), timeout.client-send (response) or timeout.linger"
                + " (lingering close), judged every half window, however it trickles them; a slower client gets 408"
                + " (body) or is reset. 0: some progress per window, so one silent a whole window is cut within half a"
                + " window more.",
            (b, v) -> b.clientMinRateBytes(v), WeirConfig::clientMinRateBytes));
        k.add(duration("timeout.keep-alive", DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
            "An idle keep-alive client connection is closed after this.",
            (b, v) -> b.keepAliveTimeoutMs(v), WeirConfig::keepAliveTimeoutMs));
        k.add(duration("timeout.upstream-connect", DEFAULT_UPSTREAM_CONNECT_TIMEOUT_MS,
            "Longest wait for a connection to the origin to be established.",
            (b, v) -> b.upstreamConnectTimeoutMs(v), WeirConfig::upstreamConnectTimeoutMs));
        k.add(duration("timeout.upstream-response", DEFAULT_UPSTREAM_RESPONSE_TIMEOUT_MS,
            "Longest wait for the next origin bytes, or for the origin to accept request bytes; 504 when nothing"
                + " was sent to the client yet.",
            (b, v) -> b.upstreamResponseTimeoutMs(v), WeirConfig::upstreamResponseTimeoutMs));
        k.add(duration("timeout.linger", DEFAULT_LINGER_TIMEOUT_MS,
            "A closing connection keeps its slot until the client has taken its answer and closed, its input"
                + " read and dropped meanwhile, for this long unless it ends its stream first; a client whose queue"
                + " shrank by less than timeout.client-min-rate over the last this much is reset.",
            (b, v) -> b.lingerTimeoutMs(v), WeirConfig::lingerTimeoutMs));
        k.add(duration("timeout.tunnel-idle", DEFAULT_TUNNEL_IDLE_TIMEOUT_MS,
            "A WebSocket tunnel (after 101 Switching Protocols) with no bytes either way for this long is closed.",
            (b, v) -> b.tunnelIdleTimeoutMs(v), WeirConfig::tunnelIdleTimeoutMs));
        k.add(buffer("socket.receive-buffer", DEFAULT_SOCKET_RECEIVE_BUFFER_BYTES,
            "SO_RCVBUF of client and health-check sockets (the request path); Linux doubles it (capped by"
                + " net.core.rmem_max) and counts it in the cgroup.",
            (b, v) -> b.socketReceiveBufferBytes(v), WeirConfig::socketReceiveBufferBytes));
        k.add(buffer("socket.send-buffer", DEFAULT_SOCKET_SEND_BUFFER_BYTES,
            "SO_SNDBUF of origin and health-check sockets (the request path); Linux doubles it (capped by"
                + " net.core.wmem_max) and counts it in the cgroup.",
            (b, v) -> b.socketSendBufferBytes(v), WeirConfig::socketSendBufferBytes));
        k.add(buffer("socket.response-buffer", DEFAULT_SOCKET_RESPONSE_BUFFER_BYTES,
            "SO_RCVBUF of origin sockets and SO_SNDBUF of client sockets (the response path, where large bodies"
                + " flow); Linux doubles it and counts it in the cgroup.",
            (b, v) -> b.socketResponseBufferBytes(v), WeirConfig::socketResponseBufferBytes));
        k.add(buffer("socket.large-response-buffer", DEFAULT_LARGE_RESPONSE_BUFFER_BYTES,
            "SO_SNDBUF a client socket is grown to while a response of known length streams to it faster than"
                + " socket.response-buffer holds; shrunk back, and counted free again, once the client has taken"
                + " the response down to socket.response-buffer. Larger than socket.response-buffer; capped by"
                + " net.core.wmem_max.",
            (b, v) -> b.largeResponseBufferBytes(v), WeirConfig::largeResponseBufferBytes));
        k.add(integer("socket.large-response-buffer-count", "sockets", DEFAULT_LARGE_RESPONSE_BUFFER_COUNT, 1,
            MAX_CONNECTIONS,
            "Client sockets that may hold a socket.large-response-buffer at once; when all do, the next large"
                + " response streams through socket.response-buffer. 0: never grow one.",
            (b, v) -> b.largeResponseBufferCount(v), WeirConfig::largeResponseBufferCount)
            .zero(Rule.ZERO_OR_RANGE, "never").key());
        // The heap's lower bound depends on connections and rings: a rule across keys in WeirConfig.Builder.
        k.add(size("jvm.heap", DEFAULT_HEAP_BYTES, 0, MAX_JVM_AREA_BYTES,
            "Java heap, -Xms = -Xmx, pre-touched; must hold a baseline plus the rings and the slot table.",
            (b, v) -> b.heapBytes(v), WeirConfig::heapBytes));
        k.add(size("jvm.thread-stack", DEFAULT_THREAD_STACK_BYTES, MIN_THREAD_STACK_BYTES, MAX_BUFFER_BYTES,
            "Stack per Java thread, -Xss.",
            (b, v) -> b.threadStackBytes(v), WeirConfig::threadStackBytes));
        final Row pretouch = new Row("jvm.stack-pretouch", Type.SIZE_OR_NONE,
            "Stack each stage thread and the access log's touch before their first turn, so it is resident before"
                + " ready; none: off. At most jvm.thread-stack - 128k (the JVM's guard and shadow zones); when not set"
                + " and jvm.thread-stack is smaller than 384k, that.");
        pretouch.unit = "bytes";
        pretouch.defaultValue = Sizes.format(DEFAULT_STACK_PRETOUCH_BYTES);
        pretouch.min = MIN_STACK_PRETOUCH_BYTES;
        pretouch.max = MAX_BUFFER_BYTES;
        pretouch.setter = (b, v) -> b.stackPretouchBytes((Long) v);
        pretouch.reader = c -> c.stackPretouchBytes() == 0 ? "none" : Sizes.formatWithUnit(c.stackPretouchBytes());
        pretouch.number = WeirConfig::stackPretouchBytes;
        k.add(pretouch.zero(Rule.ZERO_OR_RANGE, "none, off").key());
        k.add(size("jvm.metaspace", DEFAULT_METASPACE_BYTES, MIN_METASPACE_BYTES, MAX_JVM_AREA_BYTES,
            "Metaspace cap, -XX:MaxMetaspaceSize.",
            (b, v) -> b.metaspaceBytes(v), WeirConfig::metaspaceBytes));
        k.add(size("jvm.code-cache", DEFAULT_CODE_CACHE_BYTES, MIN_CODE_CACHE_BYTES, MAX_CODE_CACHE_BYTES,
            "Compiled code cap, -XX:ReservedCodeCacheSize.",
            (b, v) -> b.codeCacheBytes(v), WeirConfig::codeCacheBytes));
        k.add(size("jvm.direct-memory", DEFAULT_DIRECT_MEMORY_BYTES, MIN_DIRECT_MEMORY_BYTES, MAX_JVM_AREA_BYTES,
            "Direct ByteBuffer cap, -XX:MaxDirectMemorySize; arenas are outside it.",
            (b, v) -> b.directMemoryBytes(v), WeirConfig::directMemoryBytes));
        k.add(size("jvm.overhead", DEFAULT_JVM_OVERHEAD_BYTES, MIN_JVM_OVERHEAD_BYTES, MAX_JVM_AREA_BYTES,
            "Allowance for the JVM's own native memory no flag caps: libraries, class archive, compilers, GC, symbols,"
                + " malloc.",
            (b, v) -> b.jvmOverheadBytes(v), WeirConfig::jvmOverheadBytes));
        k.add(integer("jvm.warm-up", "exchanges", DEFAULT_WARM_UP_EXCHANGES, MIN_WARM_UP_EXCHANGES,
            MAX_WARM_UP_EXCHANGES,
            "Exchanges of every shape run through a small pipeline of the same stages, to an origin inside Weir on"
                + " 127.0.0.1, before the serving pipeline starts, so the JIT has compiled the stages' code with every"
                + " path seen before the first client; no exchange starts after 30 s. 0: off.",
            (b, v) -> b.warmUpExchanges(v), WeirConfig::warmUpExchanges).zero(Rule.ZERO_OR_RANGE, "off").key());
        k.add(bool("memory.lock", DEFAULT_MEMORY_LOCK,
            "Lock the whole process in RAM (mlockall) once everything is committed, just before ready; needs"
                + " CAP_IPC_LOCK or RLIMIT_MEMLOCK unlimited (checked before anything is committed).",
            (b, v) -> b.lockMemory(v), WeirConfig::lockMemory));
        final Row budget = new Row("memory.budget", Type.SIZE_OR_NONE,
            "Total memory to plan for: connections (and the heap if needed) are derived to use most of it.");
        budget.unit = "bytes";
        budget.defaultValue = "none";
        budget.max = Long.MAX_VALUE;
        budget.setter = (b, v) -> b.memoryBudgetBytes((Long) v);
        budget.number = WeirConfig::memoryBudgetBytes;
        budget.reader = c -> c.memoryBudgetBytes() == 0 ? "none" : Sizes.formatWithUnit(c.memoryBudgetBytes());
        k.add(budget.key());
        k.add(bool("forwarded.x-forwarded-proto", DEFAULT_X_FORWARDED_PROTO,
            "Add X-Forwarded-Proto: http to forwarded requests, replacing any the client sent.",
            (b, v) -> b.xForwardedProto(v), WeirConfig::xForwardedProto));
        k.add(bool("forwarded.x-forwarded-host", DEFAULT_X_FORWARDED_HOST,
            "Add X-Forwarded-Host with the request's host (the absolute-form authority, else Host), replacing any"
                + " the client sent.",
            (b, v) -> b.xForwardedHost(v), WeirConfig::xForwardedHost));
        k.add(bool("forwarded.forwarded", DEFAULT_FORWARDED,
            "Append an RFC 7239 element for=CLIENT;host=\"HOST\";proto=http to Forwarded (the client's elements"
                + " kept).",
            (b, v) -> b.forwarded(v), WeirConfig::forwarded));
        k.add(bool("forwarded.via", DEFAULT_VIA,
            "Append 1.1 weir to Via (the client's entries kept), as RFC 9110 asks of a gateway.",
            (b, v) -> b.via(v), WeirConfig::via));
        addAccessLogKeys(k);
        final Row admin = new Row("admin.listen", Type.HOST_PORT_OR_NONE,
            "Address and port of the admin listener (/metrics, /health, /plan); none: off. Port 0 picks a free port.");
        admin.defaultValue = DEFAULT_ADMIN_LISTEN;
        admin.max = HostPort.MAX_PORT;
        admin.setter = (b, v) -> b.adminListen(v == null ? null : ((HostPort) v).host(),
            v == null ? 0 : ((HostPort) v).port());
        admin.reader = c -> c.adminHost() == null ? "none" : HostPort.format(c.adminHost(), c.adminPort());
        admin.number = WeirConfig::adminPort;
        admin.host = WeirConfig::adminHost;
        k.add(admin.key());
        final Row affinity = new Row("affinity", Type.CPU_LIST,
            "CPUs to pin the stage threads to, one CPU each, round-robin over the list in the order accept, fused-0.."
                + " (parse-0.., upstream-0.. when not fused), write-0.., then the access log's; e.g. 0-3,6. none: not"
                + " pinned.");
        affinity.defaultValue = DEFAULT_AFFINITY;
        affinity.rule = Rule.NONE;
        affinity.setter = (b, v) -> b.affinity((String) v);
        affinity.reader = WeirConfig::affinity;
        k.add(affinity.key());
        k.add(duration("drain-timeout", DEFAULT_DRAIN_TIMEOUT_MS,
            "After SIGTERM or SIGINT, longest Weir waits for in-flight exchanges before it stops anyway.",
            (b, v) -> b.drainTimeoutMs(v), WeirConfig::drainTimeoutMs));
        KEYS = Collections.unmodifiableList(k);
    }

    private ConfigKeys() {
    }

    private static void addAccessLogKeys(final List<Key> k) {
        final Row path = new Row("access-log.path", Type.PATH_OR_NONE,
            "File the access log is appended to, one line per request; - for standard output; none: no log, and no"
                + " memory for it.");
        path.defaultValue = DEFAULT_ACCESS_LOG_PATH;
        path.rule = Rule.NONE;
        path.setter = (b, v) -> b.accessLogPath((String) v);
        path.reader = WeirConfig::accessLogPath;
        k.add(path.key());
        final Row format = new Row("access-log.format", Type.CHOICE,
            "Line format: common (NCSA), combined (NCSA with Referer and User-Agent) or json (one object a line,"
                + " with durations and the upstream server).");
        format.defaultValue = DEFAULT_ACCESS_LOG_FORMAT;
        format.rule = Rule.NONE;
        format.choices = List.of("common", "combined", "json");
        format.setter = (b, v) -> b.accessLogFormat((String) v);
        format.reader = WeirConfig::accessLogFormat;
        k.add(format.key());
        final Row records = integer("access-log.records", "records", DEFAULT_ACCESS_LOG_RECORDS,
            MIN_ACCESS_LOG_RECORDS, MAX_ACCESS_LOG_RECORDS,
            "Records the ring to the log thread holds at least, a power of two; when it is full a record is dropped"
                + " and counted.",
            (b, v) -> b.accessLogRecords(v), WeirConfig::accessLogRecords);
        records.rule = Rule.POWER_OF_TWO;
        k.add(records.key());
        k.add(size("access-log.max-target", DEFAULT_ACCESS_LOG_MAX_TARGET_BYTES, MIN_ACCESS_LOG_MAX_TARGET_BYTES,
            MAX_ACCESS_LOG_MAX_TARGET_BYTES,
            "Bytes of the request target kept in a record (and of Referer and User-Agent); longer ones are cut and"
                + " end in ...",
            (b, v) -> b.accessLogMaxTargetBytes(intSize("access-log.max-target", v)),
            WeirConfig::accessLogMaxTargetBytes));
    }

    /** @return every key, in the order of {@code conf/weir.yaml} and of validation. */
    public static List<Key> all() {
        return KEYS;
    }

    /**
     * @param name a key name, e.g. {@code parse.buffer}.
     * @return the key, or {@code null} when there is no such key.
     */
    public static Key find(final String name) {
        for (int i = 0; i < KEYS.size(); i++) {
            if (KEYS.get(i).name().equals(name)) {
                return KEYS.get(i);
            }
        }
        return null;
    }

    /**
     * @param section a section name, e.g. {@code parse}.
     * @return {@code true} when some key starts with {@code section.}.
     */
    public static boolean isSection(final String section) {
        final String prefix = section + ".";
        for (int i = 0; i < KEYS.size(); i++) {
            if (KEYS.get(i).name().startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param section a section name, e.g. {@code parse}, or empty for the top level.
     * @return the names of the keys directly in it, comma separated, for error messages.
     */
    public static String keysIn(final String section) {
        final String prefix = section.isEmpty() ? "" : section + ".";
        final Set<String> children = new LinkedHashSet<>();
        for (int i = 0; i < KEYS.size(); i++) {
            final String name = KEYS.get(i).name();
            if (name.startsWith(prefix)) {
                final String rest = name.substring(prefix.length());
                final int dot = rest.indexOf('.');
                children.add(dot < 0 ? rest : rest.substring(0, dot));
            }
        }
        return String.join(", ", children);
    }

    private static Key hostPort(final String name, final String defaultValue, final int minPort,
        final String meaning, final BiConsumer<WeirConfig.Builder, HostPort> setter,
        final Function<WeirConfig, String> host, final ToIntFunction<WeirConfig> port) {
        final Row r = new Row(name, Type.HOST_PORT, meaning);
        r.defaultValue = defaultValue;
        r.min = minPort;
        r.max = HostPort.MAX_PORT;
        r.setter = (b, v) -> setter.accept(b, (HostPort) v);
        r.reader = c -> HostPort.format(host.apply(c), port.applyAsInt(c));
        r.number = port::applyAsInt;
        r.host = host;
        return r.key();
    }

    private static Key bool(final String name, final boolean defaultValue, final String meaning,
        final BiConsumer<WeirConfig.Builder, Boolean> setter, final Predicate<WeirConfig> reader) {
        final Row r = new Row(name, Type.BOOLEAN, meaning);
        r.defaultValue = Boolean.toString(defaultValue);
        r.rule = Rule.NONE;
        r.setter = (b, v) -> setter.accept(b, (Boolean) v);
        r.reader = c -> Boolean.toString(reader.test(c));
        return r.key();
    }

    private static Row integer(final String name, final String unit, final int defaultValue, final long min,
        final long max, final String meaning, final BiConsumer<WeirConfig.Builder, Integer> setter,
        final ToIntFunction<WeirConfig> reader) {
        final Row r = new Row(name, Type.INTEGER, meaning);
        r.unit = unit;
        r.defaultValue = Integer.toString(defaultValue);
        r.min = min;
        r.max = max;
        r.setter = (b, v) -> setter.accept(b, (Integer) v);
        r.reader = c -> Integer.toString(reader.applyAsInt(c));
        r.number = reader::applyAsInt;
        return r;
    }

    private static Key size(final String name, final long defaultBytes, final long min, final long max,
        final String meaning, final BiConsumer<WeirConfig.Builder, Long> setter,
        final ToLongFunction<WeirConfig> reader) {
        return size(name, "bytes", defaultBytes, min, max, meaning, setter, reader);
    }

    /** A size in another unit of bytes, such as bytes per second; its default is written with a unit, as it is read. */
    private static Key size(final String name, final String unit, final long defaultBytes, final long min,
        final long max, final String meaning, final BiConsumer<WeirConfig.Builder, Long> setter,
        final ToLongFunction<WeirConfig> reader) {
        final Row r = new Row(name, Type.SIZE, meaning);
        r.unit = unit;
        r.defaultValue = Sizes.formatWithUnit(defaultBytes);
        r.min = min;
        r.max = max;
        r.setter = (b, v) -> setter.accept(b, (Long) v);
        r.reader = c -> Sizes.formatWithUnit(reader.applyAsLong(c));
        r.number = reader;
        return r.key();
    }

    /** A per-connection or socket buffer: an int of bytes from {@link #MIN_BUFFER_BYTES} to 1 GiB. */
    private static Key buffer(final String name, final int defaultBytes, final String meaning,
        final BiConsumer<WeirConfig.Builder, Integer> setter, final ToIntFunction<WeirConfig> reader) {
        return size(name, defaultBytes, MIN_BUFFER_BYTES, MAX_BUFFER_BYTES, meaning,
            (b, v) -> setter.accept(b, intSize(name, v)), reader::applyAsInt);
    }

    private static Key duration(final String name, final long defaultMs, final String meaning,
        final BiConsumer<WeirConfig.Builder, Long> setter, final ToLongFunction<WeirConfig> reader) {
        final Row r = new Row(name, Type.DURATION, meaning);
        r.unit = "milliseconds";
        r.defaultValue = Durations.format(defaultMs);
        r.min = MIN_DURATION_MS;
        r.max = MAX_DURATION_MS;
        r.setter = (b, v) -> setter.accept(b, (Long) v);
        r.reader = c -> Durations.format(reader.applyAsLong(c));
        r.number = reader;
        return r.key();
    }

    private static int intSize(final String key, final long bytes) {
        if (bytes > MAX_BUFFER_BYTES) {
            throw new ConfigException(key, "must be at most " + Sizes.format(MAX_BUFFER_BYTES)
                + " (got " + Sizes.formatWithUnit(bytes) + ")");
        }
        return (int) bytes;
    }
}
